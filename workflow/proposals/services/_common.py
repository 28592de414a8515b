"""What the proposal services and the task actions share: the acting person, the proposal's row
lock, the viewflow hand-offs, the decision history and the audit record."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from viewflow.workflow.models import Process, Task
from viewflow.workflow.status import PROCESS

from audit import services as audit
from audit.exceptions import PermissionRefused
from directory.models import Person
from directory.selectors import (
    person_for_user,
)
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


def acting_person(actor: Any) -> Person:
    """The directory person of a user; PermissionRefused for anyone else or someone inactive."""
    person = person_for_user(actor)
    if person is None or not person.is_active:
        raise PermissionRefused(_("Only staff of the directory can take part in approvals."))
    return person


def locked_proposal(proposal_id: int) -> Proposal:
    """The proposal row, locked for this transaction: every action on a proposal starts here."""
    return (
        Proposal.objects.select_for_update(of=("self",), no_key=True)
        .select_related("category", "drafting_unit")
        .get(pk=proposal_id)
    )


def complete_task(proposal: Proposal, step: ProposalStep, *, owner: Any = None) -> None:
    """Finish the step's viewflow task and let the flow move on (under its process lock).

    ``proposal`` is locked by the caller and current in memory: the flow's callbacks use it.
    ``owner``: someone other than the assignee who does the task (引上げ承認).
    """
    task = Task.objects.get(pk=step.task_id)
    with driving(proposal), task.activation() as activation:
        if owner is not None and task.owner_id != owner.pk:
            activation.reassign(user=owner)
        activation.start(None)
        activation.execute()


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
    audit.record(action=action, actor=actor, target=proposal, details=details)
