"""What the proposal services and the task actions share, on top of the engine core
(``workflow/engine/core.py``): the proposal's row lock, its viewflow hand-offs, its decision
history and its audit record."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone
from viewflow.workflow.models import Process
from viewflow.workflow.status import PROCESS

from directory.models import Person
from directory.notifications import notifications_resolve
from workflow.engine import core
from workflow.engine.core import acting_person as acting_person
from workflow.engine.events import task_subject
from workflow.flows import ProposalFlow, driving
from workflow.proposals.models import (
    Decision,
    Proposal,
    ProposalStep,
)

Status = Proposal.Status
State = ProposalStep.State
Action = Decision.Action

OPEN_STEP_STATES = (State.PENDING, State.WAITING)


def locked_proposal(proposal_id: int) -> Proposal:
    """The proposal row, locked for this transaction: every action on a proposal starts here.

    With what its answer shows (category, drafter, unit, ruleset) read in the same statement;
    only the proposal's own row is locked (``lock_row``)."""
    return core.lock_row(
        Proposal.objects.select_related("category", "drafter__user", "drafting_unit", "ruleset"),
        proposal_id,
    )


def complete_task(proposal: Proposal, step: ProposalStep, *, owner: Any = None) -> None:
    """Finish the step's viewflow task and let the flow move on (under its process lock).

    ``proposal`` is locked by the caller and current in memory: the flow's callbacks use it.
    ``owner``: someone other than the assignee who does the task (引上げ承認).
    """
    core.complete_task(
        step.task_id,
        flow_class=ProposalFlow,
        process_id=proposal.process_id,
        owner=owner,
        context=driving(proposal),
    )


def cancel_process(proposal: Proposal) -> None:
    """End the round's viewflow process (withdraw, cancel): its open tasks are cancelled."""
    if proposal.process_id is None:
        return
    process = Process.objects.get(pk=proposal.process_id)
    if process.status not in (PROCESS.DONE, PROCESS.CANCELED):
        ProposalFlow.instance.cancel(process)


def open_steps(proposal: Proposal):
    """The steps of the current round still to act on (pending, or waiting their turn)."""
    return ProposalStep.objects.filter(
        proposal=proposal, round=proposal.round, state__in=OPEN_STEP_STATES
    )


def cancel_open_steps(proposal: Proposal) -> list[int]:
    """Cancel the round's open steps; their ids, for the audit record."""
    steps = open_steps(proposal)
    ids = list(steps.values_list("pk", flat=True))
    steps.update(state=State.CANCELLED)
    return ids


def record_history(
    proposal: Proposal,
    *,
    actor: Person,
    action: str,
    step: ProposalStep | None = None,
    comment: str = "",
    at: datetime | None = None,
    round_: int | None = None,
) -> None:
    """One row of the append-only decision history (``Decision``)."""
    Decision.objects.create(
        proposal=proposal,
        round=proposal.round if round_ is None else round_,
        step=step,
        actor=actor,
        acting_for_id=step.acting_for_id if step else None,
        action=action,
        comment=comment or "",
        at=at or timezone.now(),
    )


def acting_details(step: ProposalStep) -> dict[str, Any]:
    """代決: the principal's username, for the audit log."""
    if not step.acting_for_id:
        return {}
    return {"acting_for": Person.objects.select_related("user").get(pk=step.acting_for_id).username}


def audit_proposal(action: str, actor: Any, proposal: Proposal, **details: Any) -> None:
    """The audit record of an action on ``proposal``."""
    core.audit_change(action, actor, proposal, **details)


def resolve_ended_tasks(step_ids: list[int]) -> int:
    """Resolve the task notifications of the steps this action ended (done by the approver or a
    deputy, skipped, or cancelled with the round), in the action's own transaction: 「…が待って
    います」 never outlives its task. One statement."""
    return notifications_resolve(subject_keys=[task_subject(pk) for pk in step_ids])
