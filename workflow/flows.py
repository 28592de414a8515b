"""The approval flow (回議) on viewflow: topology only; every write is in
workflow/proposals/services/.

One process per round (a submission). The route is variable-length, so instead of a chain of
nodes a hub loops over the route's groups (steps sharing an ``order``)::

    start ─► hub ─(a one-step group)──────────────────────► review_one ─► (hub)
              ├─(a group of several: 合議)─► split ─► review ×N ─► join ─► hub
              └─(none left, or the round stopped)─► end

``review_one`` is the task of a one-step group (a 回議 or 決裁 step): the hub (``RouteHub``)
creates it directly, with no split and no join. When it is done, ``review_one``
(``RouteReview``) asks the hub's cases itself and creates what follows (the next
``review_one``, a split, or the end) without a hub task in between. ``split`` creates one
``review`` task per step of a 合議 group; ``join`` waits for all of them, and on a send-back
or rejection cancels the sibling branches at once, and the hub then ends the process. Every
task is assigned to its step's approver and carries ``{"step": <id>}``. Services hold the
proposal row lock before driving the flow, and that lock is the flow's lock too
(``HeldProposalLock``): never two next tasks.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseNotFound
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow, lock

from workflow.engine.events import ProposalTaskCreated, publish
from workflow.engine.nodes import RouteHub, RouteJoin, RouteReview, RouteSplit
from workflow.proposals.models import Proposal, ProposalStep


def review_screen(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    """viewflow's own task screens are not used: staff act through the API and our screens."""
    return HttpResponseNotFound()


class HeldProposalLock:
    """The flow's lock. viewflow's default is no lock at all (two simultaneous approvals made two
    next tasks). A service driving the flow (``driving``) already holds the proposal's row lock
    for its whole transaction, and every action on a proposal takes that lock first: the round's
    process is then locked too, and nothing more is asked (viewflow's process-row lock cost a
    savepoint and a ``SELECT … FOR UPDATE NOWAIT`` per approval). Anyone else driving a process
    gets viewflow's process-row lock (``select_for_update_lock``)."""

    fallback = lock.select_for_update_lock

    @contextmanager
    def __call__(self, flow_class: Any, process_pk: int) -> Iterator[None]:
        drive = _Drive.current.get()
        if (
            drive is not None
            and drive["proposal"].process_id == process_pk
            and transaction.get_connection().in_atomic_block
        ):
            yield
            return
        with self.fallback(flow_class, process_pk):
            yield


class ProposalFlow(flow.Flow):
    process_title = _("Proposal (起案)")
    lock_impl = HeldProposalLock()

    start = flow.StartHandle(this.start_round).Next(this.hub)
    hub = (
        RouteHub(this.next_group, single=this.review_one)
        .Case(this.review_one, this.has_one_step_group)
        .Case(this.split, this.has_waiting_group)
        .Default(this.end)
    )
    review_one = (
        RouteReview(review_screen)
        .Assign(this.step_owner)
        .onCreate(this.step_reached)
        .Next(this.hub)
    )
    split = RouteSplit(this.next_group).Next(this.review)
    review = (
        flow.View(review_screen).Assign(this.step_owner).onCreate(this.step_reached).Next(this.join)
    )
    join = RouteJoin(continue_on_condition=this.round_stopped).Next(this.hub)
    end = flow.End()

    # --- callbacks (reads, and the one write that moves a step to ``pending``, announced) ------

    def start_round(self, activation: Any, *, proposal: Proposal) -> Any:
        activation.process.data = {"proposal": proposal.pk, "round": proposal.round}
        activation.process.artifact = proposal
        return activation.process

    def has_one_step_group(self, activation: Any) -> bool:
        return len(_group_in_review(activation)) == 1

    def has_waiting_group(self, activation: Any) -> bool:
        return bool(_group_in_review(activation))

    def next_group(self, activation: Any) -> list[int]:
        proposal = _proposal(activation)
        group = _Drive.take(proposal)
        if group is None:
            group = _next_waiting_group(proposal)
            _Drive.stash(proposal, group)
        return [step.pk for step in group]

    def step_owner(self, activation: Any) -> Any:
        step_id = activation.task.data["step"]
        step = _Drive.owner_step(step_id)
        if step is None:
            step = ProposalStep.objects.select_related("approver__user").get(pk=step_id)
        return step.approver.user

    def step_reached(self, activation: Any) -> None:
        """The step's task exists: the step is pending, and its approver is told (on commit)."""
        step_id = activation.task.data["step"]
        reached = ProposalStep.objects.filter(pk=step_id, state=ProposalStep.State.WAITING).update(
            state=ProposalStep.State.PENDING,
            task=activation.task,
            activated_at=timezone.now(),
        )
        if reached:
            proposal = _proposal(activation)
            step = _Drive.owner_step(step_id) or ProposalStep.objects.get(pk=step_id)
            publish(
                ProposalTaskCreated(
                    proposal_id=proposal.pk,
                    round=step.round,
                    title=proposal.title,
                    step_id=step.pk,
                    task_id=activation.task.pk,
                    kind=step.kind,
                    approver_id=step.approver_id,
                    drafter_id=proposal.drafter_id,
                    # Deputies may act on the principal's steps, but a 供覧 is confirmed only by
                    # its recipient. Who they are is asked on delivery (``deputy_ids``).
                    deputies_may_act=step.kind != ProposalStep.Kind.CIRCULATE,
                )
            )

    def round_stopped(self, activation: Any, active_tasks: Any) -> bool:
        """A send-back or rejection ends the group (and the round) at once."""
        return _proposal(activation).status != Proposal.Status.IN_REVIEW


class _Drive:
    """What the service driving the flow already holds, so callbacks need not read it again.

    ``driving(proposal)`` is entered by workflow/proposals/services/ around each flow call while it
    holds the proposal's row lock, so its in-memory proposal is the current one. The hub's
    query for the next group is kept for the split and the review tasks' owners (one flow
    step, same transaction), then dropped.
    """

    current: ContextVar[dict[str, Any] | None] = ContextVar("kairan_flow_drive", default=None)

    @classmethod
    def proposal(cls, pk: int) -> Proposal | None:
        drive = cls.current.get()
        if drive is not None and drive["proposal"].pk == pk:
            return drive["proposal"]
        return None

    @classmethod
    def stash(cls, proposal: Proposal, group: list[ProposalStep]) -> None:
        drive = cls.current.get()
        if drive is not None and drive["proposal"] is proposal:
            drive["group"] = group
            drive["owners"] = {step.pk: step for step in group}

    @classmethod
    def peek(cls, proposal: Proposal) -> list[ProposalStep] | None:
        drive = cls.current.get()
        if drive is None or drive["proposal"] is not proposal:
            return None
        return drive.get("group")

    @classmethod
    def take(cls, proposal: Proposal) -> list[ProposalStep] | None:
        drive = cls.current.get()
        if drive is None or drive["proposal"] is not proposal:
            return None
        return drive.pop("group", None)

    @classmethod
    def owner_step(cls, step_id: int) -> ProposalStep | None:
        drive = cls.current.get()
        return drive.get("owners", {}).get(step_id) if drive is not None else None


@contextmanager
def driving(proposal: Proposal) -> Iterator[None]:
    """Run flow calls for ``proposal`` (locked by the caller) without re-reading it."""
    token = _Drive.current.set({"proposal": proposal})
    try:
        yield
    finally:
        _Drive.current.reset(token)


def _proposal(activation: Any) -> Proposal:
    pk = activation.process.data["proposal"]
    return _Drive.proposal(pk) or Proposal.objects.get(pk=pk)


def _group_in_review(activation: Any) -> list[ProposalStep]:
    """The hub's question: the next waiting group while the round is in review, else none.

    One query serves the hub's two cases and the answer (the split's branches, or the one-step
    task, and their owners): it is kept for this flow step by ``_Drive``.
    """
    proposal = _proposal(activation)
    if proposal.status != Proposal.Status.IN_REVIEW:
        return []
    group = _Drive.peek(proposal)
    if group is None:
        group = _next_waiting_group(proposal)
        _Drive.stash(proposal, group)
    return group


def _next_waiting_group(proposal: Proposal) -> list[ProposalStep]:
    """The waiting steps of the lowest order (one 回議 step, or a parallel 合議 group)."""
    waiting = list(_waiting(proposal).select_related("approver__user").order_by("order", "id"))
    return [step for step in waiting if step.order == waiting[0].order] if waiting else []


def _waiting(proposal: Proposal):
    return ProposalStep.objects.filter(
        proposal=proposal, round=proposal.round, state=ProposalStep.State.WAITING
    )
