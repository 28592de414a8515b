"""Task actions: approve (代決 included), send back (差戻し), reject (否決), approve ahead
(引上げ承認), and the 後閲 acknowledgement. Each locks the proposal row first and re-reads the
step, so a task acted on twice or concurrently succeeds exactly once (409 for the rest)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from audit import services as audit
from audit.exceptions import Conflict, PermissionRefused, ValidationFailed
from audit.transactions import atomic_service
from directory.calendar import fiscal_year
from directory.models import OrgUnit, Person
from directory.selectors import (
    person_for_user,
    principals_for_deputy,
)
from workflow.engine.events import (
    ProposalActedFor,
    ProposalDecided,
    ProposalSentBack,
    publish,
)
from workflow.proposals import permissions
from workflow.proposals.models import (
    DocumentCounter,
    PostReview,
    Proposal,
    ProposalStep,
)
from workflow.proposals.services._common import (
    OPEN_STEP_STATES,
    Action,
    State,
    Status,
    acting_details,
    acting_person,
    audit_proposal,
    cancel_open_steps,
    complete_task,
    locked_proposal,
    open_steps,
    record_history,
    resolve_ended_tasks,
)


@atomic_service
def task_approve(*, actor: Any, step: ProposalStep, comment: str = "") -> ProposalStep:
    """Approve (or agree to, or decide) a pending step, as its approver or their deputy (代決).

    Advances the route: the next order's step(s) become pending once every step of this order
    is done; the decide step approves the proposal and gives it its document number.
    Raises PermissionRefused when the step is neither the actor's nor delegated to them,
    Conflict when it is no longer pending.
    """
    person = acting_person(actor)
    proposal, step, acting_for_id = _locked_step(person, step)
    now = timezone.now()
    is_circulation = step.kind == ProposalStep.Kind.CIRCULATE
    _act(
        step,
        person=person,
        state=State.SEEN if is_circulation else State.APPROVED,
        acting_for_id=acting_for_id,
        comment=comment,
        now=now,
    )
    action = {
        ProposalStep.Kind.DECIDE: Action.DECIDED,
        ProposalStep.Kind.CONSULT: Action.CONSULTED,
        ProposalStep.Kind.CIRCULATE: Action.SEEN,
    }.get(step.kind, Action.APPROVED)
    record_history(proposal, actor=person, action=action, step=step, comment=comment, at=now)
    details: dict[str, Any] = {"step": step.pk, "round": step.round, "kind": step.kind}
    if step.kind == ProposalStep.Kind.DECIDE:
        _decide(proposal, now=now)
        details["document_number"] = proposal.document_number
        _publish_decided(proposal, step, person, ProposalDecided.APPROVED, comment)
    elif is_circulation and not open_steps(proposal).exists():
        # Everyone has seen it: the circulation is complete (供覧済), without a number.
        proposal.status = Status.APPROVED
        proposal.decided_at = now
        proposal.save(update_fields=["status", "decided_at", "updated_at"])
        _publish_decided(proposal, step, person, ProposalDecided.APPROVED, comment)
    # The flow's join waits for the rest of a 合議 group, then its hub activates the next group
    # (or ends the process after the decision). Every approver of this proposal holds its row
    # lock while doing so: the route moves on exactly once.
    complete_task(proposal, step)
    audit_proposal(f"workflow.task_{action}", actor, proposal, **details, **acting_details(step))
    resolve_ended_tasks([step.pk])
    return step


@atomic_service
def task_send_back(*, actor: Any, step: ProposalStep, comment: str) -> ProposalStep:
    """差戻し: return the proposal to the drafter with a comment; all other open steps of the
    round are cancelled. Raises ValidationFailed without a comment, PermissionRefused,
    Conflict like ``task_approve``."""
    comment = (comment or "").strip()
    if not comment:
        raise ValidationFailed(_("A comment is required to send a proposal back."))
    person = acting_person(actor)
    proposal, step, acting_for_id = _locked_step(person, step)
    if step.kind == ProposalStep.Kind.CIRCULATE:
        raise PermissionRefused(_("A circulation is only confirmed as seen, not sent back."))
    now = timezone.now()
    _act(
        step,
        person=person,
        state=State.RETURNED,
        acting_for_id=acting_for_id,
        comment=comment,
        now=now,
    )
    cancelled = cancel_open_steps(proposal)
    proposal.status = Status.RETURNED
    proposal.save(update_fields=["status", "updated_at"])
    complete_task(proposal, step)  # the join cancels the sibling 合議 branches; the process ends
    record_history(
        proposal, actor=person, action=Action.SENT_BACK, step=step, comment=comment, at=now
    )
    publish(ProposalSentBack(**_step_act(proposal, step, person, comment)))
    audit_proposal(
        "workflow.task_sent_back",
        actor,
        proposal,
        step=step.pk,
        round=step.round,
        cancelled_steps=cancelled,
        **acting_details(step),
    )
    resolve_ended_tasks([step.pk, *cancelled])
    return step


@atomic_service
def task_reject(*, actor: Any, step: ProposalStep, comment: str = "") -> ProposalStep:
    """否決: the final approver rejects the proposal. Raises PermissionRefused when the step is
    not a decide step or not the actor's, Conflict when it is no longer pending."""
    person = acting_person(actor)
    proposal, step, acting_for_id = _locked_step(person, step)
    if not permissions.can_reject_step(step):
        raise PermissionRefused(_("Only the final approver may reject a proposal."))
    now = timezone.now()
    comment = (comment or "").strip()
    _act(
        step,
        person=person,
        state=State.REJECTED,
        acting_for_id=acting_for_id,
        comment=comment,
        now=now,
    )
    cancelled = cancel_open_steps(proposal)
    proposal.status = Status.REJECTED
    proposal.decided_at = now
    proposal.save(update_fields=["status", "decided_at", "updated_at"])
    complete_task(proposal, step)
    record_history(
        proposal, actor=person, action=Action.REJECTED, step=step, comment=comment, at=now
    )
    _publish_decided(proposal, step, person, ProposalDecided.REJECTED, comment)
    audit_proposal(
        "workflow.task_rejected",
        actor,
        proposal,
        step=step.pk,
        round=step.round,
        **acting_details(step),
    )
    resolve_ended_tasks([step.pk, *cancelled])
    return step


@atomic_service
def task_approve_ahead(*, actor: Any, proposal: Proposal, comment: str = "") -> ProposalStep:
    """引上げ承認: an approver further along the route approves while earlier approvers are
    absent; the earlier open 回議 steps are ``skipped``, the actor's step is approved (or
    decided, with the document number). The actor may also be that approver's deputy (代決).

    Raises PermissionRefused when the actor has no later step on the route, Conflict when the
    proposal is not in review, the actor's step is already pending (approve it instead) or a
    合議 lies before it (consultations are never skipped).
    """
    person = acting_person(actor)
    proposal = locked_proposal(proposal.pk)
    steps = list(
        ProposalStep.objects.filter(proposal=proposal, round=proposal.round).order_by("order")
    )
    for candidate in steps:
        candidate.proposal = proposal
    principals = {p.pk for p in principals_for_deputy(person)}
    mine: list[tuple[ProposalStep, int | None]] = []
    for candidate in steps:
        may_act, acting_for_id = permissions.acting_for_on_step(
            person, candidate, principals=principals, drafter_id=proposal.drafter_id
        )
        # Only 回議 and 決裁 steps approve ahead: not a 合議, nor a 供覧 (nothing to skip).
        if may_act and candidate.kind in (ProposalStep.Kind.APPROVE, ProposalStep.Kind.DECIDE):
            mine.append((candidate, acting_for_id))
    if not mine:
        raise PermissionRefused(_("You have no later step on this route."))
    waiting = [(s, a) for s, a in mine if s.state == State.WAITING]
    if proposal.status != Status.IN_REVIEW or not waiting:
        raise Conflict(_("Only a step not yet reached can be approved ahead."))
    # The nearest of the actor's steps (a deputy may hold several): skip as little as possible.
    step, acting_for_id = waiting[0]
    skipped = [s for s in steps if s.order < step.order and s.state in OPEN_STEP_STATES]
    if any(s.kind == ProposalStep.Kind.CONSULT for s in skipped):
        raise Conflict(_("Consultations cannot be skipped."))
    now = timezone.now()
    comment = (comment or "").strip()
    ProposalStep.objects.filter(pk__in=[s.pk for s in skipped]).update(state=State.SKIPPED)
    _act(
        step,
        person=person,
        state=State.APPROVED,
        acting_for_id=acting_for_id,
        comment=comment,
        now=now,
    )
    record_history(
        proposal, actor=person, action=Action.APPROVED_AHEAD, step=step, comment=comment, at=now
    )
    details: dict[str, Any] = {
        "step": step.pk,
        "round": step.round,
        "kind": step.kind,
        "skipped_steps": [s.pk for s in skipped],
    }
    if step.kind == ProposalStep.Kind.DECIDE:
        _decide(proposal, now=now)
        details["document_number"] = proposal.document_number
        _publish_decided(proposal, step, person, ProposalDecided.APPROVED, comment)
    # The skipped step's task is done by the one who approved ahead (viewflow records them as
    # its owner); the hub then goes on after the actor's step, or ends after a decision.
    for reached in (s for s in skipped if s.task_id):
        complete_task(proposal, reached, owner=actor)
    audit_proposal(
        "workflow.task_approved_ahead", actor, proposal, **details, **acting_details(step)
    )
    resolve_ended_tasks([step.pk, *(s.pk for s in skipped)])
    return step


@atomic_service
def post_review_ack(*, actor: Any, post_review: PostReview) -> PostReview:
    """The principal acknowledges a 後閲 item. Raises PermissionRefused for anyone else,
    Conflict when already acknowledged."""
    person = acting_person(actor)
    item = PostReview.objects.select_for_update(of=("self",), no_key=True).get(pk=post_review.pk)
    if item.principal_id != person.pk:
        raise PermissionRefused(_("This post-review item is not yours."))
    if item.acknowledged_at is not None:
        raise Conflict(_("This post-review item has already been acknowledged."))
    if item.opened_at is None:
        raise Conflict(
            _("Open the proposal and read what was decided for you before acknowledging it.")
        )
    item.acknowledged_at = timezone.now()
    item.save(update_fields=["acknowledged_at"])
    audit.record(
        action="workflow.post_review_acknowledged",
        actor=actor,
        target=item,
        details={"step": item.step_id},
    )
    return item


def post_reviews_mark_opened(*, actor: Any, proposal_id: int) -> int:
    """The principal has opened the proposal: their waiting 後閲 items on it may now be
    acknowledged. One UPDATE, nothing when there is none; returns how many."""
    person = person_for_user(actor)
    if person is None:
        return 0
    return PostReview.objects.filter(
        principal=person,
        step__proposal_id=proposal_id,
        opened_at__isnull=True,
        acknowledged_at__isnull=True,
    ).update(opened_at=timezone.now())


def _locked_step(person: Person, step: ProposalStep) -> tuple[Proposal, ProposalStep, int | None]:
    """Lock the proposal, re-read the step, check the actor may act and the step is pending."""
    proposal = locked_proposal(step.proposal_id)
    step = ProposalStep.objects.get(pk=step.pk)
    step.proposal = proposal
    # Delegations matter only when the actor is not the step's approver.
    principals = (
        set() if step.approver_id == person.pk else {p.pk for p in principals_for_deputy(person)}
    )
    may_act, acting_for_id = permissions.acting_for_on_step(
        person, step, principals=principals, drafter_id=proposal.drafter_id
    )
    if not may_act:
        raise PermissionRefused(_("This task is neither yours nor delegated to you."))
    if proposal.status != Status.IN_REVIEW or step.state != State.PENDING:
        raise Conflict(_("This task is no longer pending."))
    return proposal, step, acting_for_id


def _act(
    step: ProposalStep,
    *,
    person: Person,
    state: str,
    acting_for_id: int | None,
    comment: str,
    now: datetime,
) -> None:
    step.state = state
    step.acted_by = person
    step.acting_for_id = acting_for_id
    step.acted_at = now
    step.comment = comment or ""
    step.save(update_fields=["state", "acted_by", "acting_for", "acted_at", "comment"])
    if acting_for_id is not None:
        # 代決: the principal reviews afterwards (後閲), and is told at once.
        PostReview.objects.create(principal_id=acting_for_id, step=step)
        publish(
            ProposalActedFor(
                proposal_id=step.proposal_id,
                round=step.round,
                title=step.proposal.title,
                step_id=step.pk,
                principal_id=acting_for_id,
                deputy_id=person.pk,
                kind=step.kind,
                state=state,
            )
        )


def _publish_decided(
    proposal: Proposal, step: ProposalStep, person: Person, outcome: str, comment: str
) -> None:
    """決裁 or 否決 (or the last 供覧): the drafter is told, with the document number."""
    publish(
        ProposalDecided(
            **_step_act(proposal, step, person, comment),
            outcome=outcome,
            document_number=proposal.document_number,
        )
    )


def _step_act(proposal: Proposal, step: ProposalStep, person: Person, comment: str) -> dict:
    """What the events of an act on a step say: the proposal, the step, who acted for whom."""
    return {
        "proposal_id": proposal.pk,
        "round": step.round,
        "title": proposal.title,
        "step_id": step.pk,
        "drafter_id": proposal.drafter_id,
        "actor_id": person.pk,
        "acting_for_id": step.acting_for_id,
        "comment": comment or "",
    }


def _decide(proposal: Proposal, *, now: datetime) -> None:
    """Approved: the next document number of the drafting 課 in the fiscal year of ``now``.

    The counter row is locked in this transaction, so numbers are unique and gap-free: a
    decision that rolls back gives its number back with it.
    """
    fy = fiscal_year(now)
    counter, _created = DocumentCounter.objects.select_for_update(
        of=("self",), no_key=True
    ).get_or_create(unit=proposal.drafting_unit, fiscal_year=fy)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    proposal.status = Status.APPROVED
    proposal.decided_at = now
    proposal.fiscal_year = fy
    proposal.number = counter.last_number
    proposal.document_number = document_number(proposal.drafting_unit, counter.last_number)
    proposal.save(
        update_fields=[
            "status",
            "decided_at",
            "fiscal_year",
            "number",
            "document_number",
            "updated_at",
        ]
    )


def document_number(unit: OrgUnit, number: int) -> str:
    """``<prefix>第<n>号``, e.g. 交財第12号."""
    return f"{unit.effective_doc_number_prefix}第{number}号"
