"""The approval flow (回議) on viewflow: topology only; every write is in workflow/services.py.

One process per round (a submission). The route is variable-length, so instead of a chain of
nodes a hub ``Switch`` loops over the route's groups (steps sharing an ``order``)::

    start ─► hub ─(a waiting group)─► split ─► review ×N ─► join ─► hub
              └─(none left, or the round stopped)─► end

``split`` creates one ``review`` task per step of the next group (one for 回議 and 決裁, one per
unit for 合議), assigned to the step's approver. ``join`` waits for all of them; on a send-back
or rejection it cancels the sibling branches at once, and the hub then ends the process.
Services hold the proposal row lock before driving the flow, and the flow itself locks its
process row (``select_for_update_lock``): never two next tasks.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseNotFound
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow, lock

from workflow.nodes import RouteSplit
from workflow.proposals_models import Proposal, ProposalStep


def review_screen(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    """viewflow's own task screens are not used: staff act through the API and our screens."""
    return HttpResponseNotFound()


class ProposalFlow(flow.Flow):
    process_title = _("Proposal (起案)")
    # viewflow's default is no lock at all: two simultaneous approvals made two next tasks.
    lock_impl = lock.select_for_update_lock

    start = flow.StartHandle(this.start_round).Next(this.hub)
    hub = flow.Switch().Case(this.split, this.has_waiting_group).Default(this.end)
    split = RouteSplit(this.next_group).Next(this.review)
    review = (
        flow.View(review_screen).Assign(this.step_owner).onCreate(this.step_reached).Next(this.join)
    )
    join = flow.Join(continue_on_condition=this.round_stopped).Next(this.hub)
    end = flow.End()

    # --- callbacks (reads, and the one write that moves a step to ``pending``) ----------------

    def start_round(self, activation: Any, *, proposal: Proposal) -> Any:
        activation.process.data = {"proposal": proposal.pk, "round": proposal.round}
        activation.process.artifact = proposal
        return activation.process

    def has_waiting_group(self, activation: Any) -> bool:
        proposal = _proposal(activation)
        return proposal.status == Proposal.Status.IN_REVIEW and _waiting(proposal).exists()

    def next_group(self, activation: Any) -> list[int]:
        waiting = _waiting(_proposal(activation))
        order = waiting.order_by("order").values_list("order", flat=True).first()
        return list(waiting.filter(order=order).order_by("id").values_list("pk", flat=True))

    def step_owner(self, activation: Any) -> Any:
        step = ProposalStep.objects.select_related("approver__user").get(
            pk=activation.task.data["step"]
        )
        return step.approver.user

    def step_reached(self, activation: Any) -> None:
        ProposalStep.objects.filter(
            pk=activation.task.data["step"], state=ProposalStep.State.WAITING
        ).update(
            state=ProposalStep.State.PENDING,
            task=activation.task,
            activated_at=timezone.now(),
        )

    def round_stopped(self, activation: Any, active_tasks: Any) -> bool:
        """A send-back or rejection ends the group (and the round) at once."""
        return _proposal(activation).status != Proposal.Status.IN_REVIEW


def _proposal(activation: Any) -> Proposal:
    return Proposal.objects.get(pk=activation.process.data["proposal"])


def _waiting(proposal: Proposal):
    return ProposalStep.objects.filter(
        proposal=proposal, round=proposal.round, state=ProposalStep.State.WAITING
    )
