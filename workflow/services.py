"""Every write of the approval workflow: proposals, their rounds, task actions, 後閲.

Delegations (代決) are directory data: ``directory.services.delegation_create``/``_revoke``.

Each service is keyword-only and atomic. Actions on a proposal lock its row first
(``SELECT ... FOR UPDATE``) and then re-read the step, so that two approvals of one task, or a
send-back racing an approval, serialise: exactly one succeeds and the others get ``Conflict``
(409). The lock order is always proposal row → document counter → audit chain head, so
concurrent decisions cannot deadlock. See ``docs/workflow-engine.md``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from viewflow.workflow.models import Process, Task
from viewflow.workflow.status import PROCESS

from audit import services as audit
from audit.exceptions import Conflict, PermissionRefused, ValidationFailed
from directory.calendar import fiscal_year
from directory.models import OrgUnit, Person
from directory.selectors import (
    person_for_user,
    person_primary_post,
    principals_for_deputy,
    unit_at_level,
)
from documents.search import index_upsert
from documents.search.kinds import proposal_entry
from workflow import permissions, rules
from workflow.flows import ProposalFlow, driving
from workflow.proposals_models import (
    Decision,
    DocumentCounter,
    PostReview,
    Proposal,
    ProposalReviewer,
    ProposalStep,
)
from workflow.routing import Route, RouteStep, build_route

Status = Proposal.Status
State = ProposalStep.State
Action = Decision.Action

_UNSET: Any = object()
_OPEN_STEP_STATES = (State.PENDING, State.WAITING)
TITLE_MAX_LENGTH = Proposal._meta.get_field("title").max_length


# --- proposals --------------------------------------------------------------------------------


def _index(proposal: Proposal) -> None:
    # Search (documents.search) keeps title and body; same transaction, so a rollback leaves
    # no entry for a proposal that does not exist.
    entry = proposal_entry(proposal)
    index_upsert(**{f.name: getattr(entry, f.name) for f in fields(entry)})


@transaction.atomic
def proposal_create(
    *,
    actor: Any,
    title: str,
    body: str = "",
    category: str,
    amount: int | None = None,
    extra_approvers: Sequence[Person] = (),
    extra_consultees: Sequence[Person] = (),
) -> Proposal:
    """A draft proposal of the actor, with its route computed under today's rules (round 1).

    ``extra_approvers`` / ``extra_consultees``: optional reviewers the drafter adds (extra 回議
    steps, extra 合議 parties); kept with the proposal and on every round's route as optional
    steps. A required approver named as an extra stays where the rules put them, once.

    Raises PermissionRefused for a user who is not a person of the directory with a post,
    ValidationFailed for a bad title, category or amount, a bad reviewer (the drafter, inactive,
    without a post, in both lists), or when no route can be built.
    """
    drafter = _person(actor)
    title = _clean_title(title)
    unit = _drafting_unit(drafter)
    approvers, consultees = _clean_reviewers(extra_approvers, extra_consultees, drafter=drafter)
    route = build_route(
        drafter=drafter,
        category=category,
        amount=amount,
        on=timezone.localdate(),
        extra_approvers=approvers,
        extra_consultees=consultees,
    )
    proposal = Proposal(
        title=title,
        body=body or "",
        category=rules.category_get(code=category),
        amount=amount,
        drafter=drafter,
        drafting_unit=unit,
    )
    _apply_route_meta(proposal, route)
    proposal.save()
    _store_reviewers(proposal, approvers=approvers, consultees=consultees)
    _store_route(proposal, route.steps, round_=1)
    _history(proposal, actor=drafter, action=Action.CREATED, round_=1)
    _audit(
        "workflow.proposal_created",
        actor,
        proposal,
        title=title,
        category=category,
        **_reviewer_details(approvers, consultees),
    )
    _index(proposal)
    return proposal


@transaction.atomic
def circulation_create(
    *, actor: Any, title: str, body: str = "", recipients: Sequence[str]
) -> Proposal:
    """A draft 供覧 (circulation) of the actor to the given recipients (usernames), who will
    only confirm they have seen it. Raises PermissionRefused like ``proposal_create``,
    ValidationFailed for a bad title, no, unknown or post-less recipients, or the drafter."""
    drafter = _person(actor)
    title = _clean_title(title)
    people = _recipients(recipients, drafter=drafter)
    proposal = Proposal(
        kind=Proposal.Kind.CIRCULATION,
        title=title,
        body=body or "",
        # The category is required by the table; a circulation is filed as a general matter.
        category=rules.category_get(code="general"),
        drafter=drafter,
        drafting_unit=_drafting_unit(drafter),
        recipient_ids=[p.pk for p in people],
    )
    steps = _compute_route(proposal, drafter=drafter)
    proposal.save()
    _store_route(proposal, steps, round_=1)
    _history(proposal, actor=drafter, action=Action.CREATED, round_=1)
    _audit(
        "workflow.circulation_created",
        actor,
        proposal,
        title=title,
        recipients=[p.username for p in people],
    )
    _index(proposal)
    return proposal


@transaction.atomic
def proposal_update(
    *,
    actor: Any,
    proposal: Proposal,
    title: str = _UNSET,
    body: str = _UNSET,
    category: str = _UNSET,
    amount: int | None = _UNSET,
    recipients: Sequence[str] = _UNSET,
    extra_approvers: Sequence[Person] = _UNSET,
    extra_consultees: Sequence[Person] = _UNSET,
) -> Proposal:
    """Change a draft or returned proposal (drafter only) and recompute its route preview;
    ``recipients`` (usernames) only for a circulation, ``category``/``amount`` and the optional
    reviewers (each list replaces the stored one of its kind) only for others.

    Raises PermissionRefused for anyone but the drafter, Conflict unless draft/returned,
    ValidationFailed like ``proposal_create``.
    """
    person = _person(actor)
    proposal = _locked(proposal.pk)
    if not permissions.is_drafter(person, proposal):
        raise PermissionRefused(_("Only the drafter may change this proposal."))
    if proposal.status not in permissions.EDITABLE:
        raise Conflict(_("Only a draft or a returned proposal can be changed."))
    changed: dict[str, Any] = {}
    if title is not _UNSET:
        changed["title"] = _clean_title(title)
    if body is not _UNSET:
        changed["body"] = body or ""
    is_circulation = proposal.kind == Proposal.Kind.CIRCULATION
    if (category is not _UNSET or amount is not _UNSET) and is_circulation:
        raise ValidationFailed(_("A circulation has no category or amount."))
    if recipients is not _UNSET and not is_circulation:
        raise ValidationFailed(_("Only a circulation has recipients."))
    reviewers_given = extra_approvers is not _UNSET or extra_consultees is not _UNSET
    if reviewers_given and is_circulation:
        raise ValidationFailed(_("A circulation has recipients, not optional reviewers."))
    if category is not _UNSET:
        changed["category"] = rules.category_get(code=category)
    if amount is not _UNSET:
        changed["amount"] = amount
    if recipients is not _UNSET:
        changed["recipient_ids"] = [p.pk for p in _recipients(recipients, drafter=person)]
    for field, value in changed.items():
        setattr(proposal, field, value)
    if reviewers_given:
        stored_approvers, stored_consultees = _stored_reviewers(proposal)
        approvers, consultees = _clean_reviewers(
            stored_approvers if extra_approvers is _UNSET else extra_approvers,
            stored_consultees if extra_consultees is _UNSET else extra_consultees,
            drafter=person,
        )
        _store_reviewers(proposal, approvers=approvers, consultees=consultees)
        changed["reviewers"] = _reviewer_details(approvers, consultees)
    proposal.drafting_unit = _drafting_unit(person)
    steps = _compute_route(proposal, drafter=person)
    proposal.save(
        update_fields=[
            *(field for field in changed if field != "reviewers"),
            "drafting_unit",
            "ruleset",
            "explanations",
            "updated_at",
        ]
    )
    _store_route(proposal, steps, round_=proposal.round + 1)
    _history(proposal, actor=person, action=Action.UPDATED, round_=proposal.round + 1)
    _audit("workflow.proposal_updated", actor, proposal, fields=sorted(changed))
    _index(proposal)
    return proposal


@transaction.atomic
def proposal_submit(*, actor: Any, proposal: Proposal) -> Proposal:
    """draft/returned → in_review: a new round on the route under today's rules; the first
    step(s) become pending. Raises PermissionRefused (not the drafter), Conflict (status)."""
    person = _person(actor)
    proposal = _locked(proposal.pk)
    if not permissions.is_drafter(person, proposal):
        raise PermissionRefused(_("Only the drafter may submit this proposal."))
    if proposal.status not in permissions.EDITABLE:
        raise Conflict(_("Only a draft or a returned proposal can be submitted."))
    new_round = proposal.round + 1
    # The rules in force on the day of submission govern the round (the preview may be older).
    steps = _compute_route(proposal, drafter=person)
    now = timezone.now()
    proposal.round = new_round
    proposal.status = Status.IN_REVIEW
    proposal.submitted_at = now
    proposal.save(
        update_fields=["round", "status", "submitted_at", "ruleset", "explanations", "updated_at"]
    )
    _store_route(proposal, steps, round_=new_round)
    # The flow makes the first group's steps pending (ProposalFlow.step_reached).
    with driving(proposal):
        proposal.process = ProposalFlow.start.run(proposal=proposal)
    proposal.save(update_fields=["process"])
    _history(proposal, actor=person, action=Action.SUBMITTED, at=now)
    _audit(
        "workflow.proposal_submitted",
        actor,
        proposal,
        round=new_round,
        ruleset_version=proposal.ruleset.version if proposal.ruleset_id else None,
    )
    return proposal


@transaction.atomic
def proposal_withdraw(*, actor: Any, proposal: Proposal) -> Proposal:
    """引戻し: the drafter takes an in-review proposal back to draft; pending steps cancelled.

    Raises PermissionRefused for anyone but the drafter, Conflict unless in review.
    """
    person = _person(actor)
    proposal = _locked(proposal.pk)
    if not permissions.is_drafter(person, proposal):
        raise PermissionRefused(_("Only the drafter may withdraw this proposal."))
    if proposal.status != Status.IN_REVIEW:
        raise Conflict(_("Only a proposal in review can be withdrawn."))
    now = timezone.now()
    cancelled = _cancel_open_steps(proposal)
    _cancel_process(proposal)
    proposal.status = Status.DRAFT
    proposal.save(update_fields=["status", "updated_at"])
    _history(proposal, actor=person, action=Action.WITHDRAWN, at=now)
    _audit("workflow.proposal_withdrawn", actor, proposal, round=proposal.round, steps=cancelled)
    return proposal


@transaction.atomic
def proposal_cancel(*, actor: Any, proposal: Proposal) -> Proposal:
    """取下げ: the drafter abandons the proposal; it stays on record as ``cancelled``.

    Raises PermissionRefused for anyone but the drafter, Conflict once decided or cancelled.
    """
    person = _person(actor)
    proposal = _locked(proposal.pk)
    if not permissions.is_drafter(person, proposal):
        raise PermissionRefused(_("Only the drafter may cancel this proposal."))
    if proposal.status not in permissions.OPEN:
        raise Conflict(_("This proposal has already been decided or cancelled."))
    now = timezone.now()
    cancelled = _cancel_open_steps(proposal)
    _cancel_process(proposal)
    proposal.status = Status.CANCELLED
    proposal.save(update_fields=["status", "updated_at"])
    _history(proposal, actor=person, action=Action.CANCELLED, at=now)
    _audit("workflow.proposal_cancelled", actor, proposal, round=proposal.round, steps=cancelled)
    return proposal


# --- task actions -----------------------------------------------------------------------------


@transaction.atomic
def task_approve(*, actor: Any, step: ProposalStep, comment: str = "") -> ProposalStep:
    """Approve (or agree to, or decide) a pending step, as its approver or their deputy (代決).

    Advances the route: the next order's step(s) become pending once every step of this order
    is done; the decide step approves the proposal and gives it its document number.
    Raises PermissionRefused when the step is neither the actor's nor delegated to them,
    Conflict when it is no longer pending.
    """
    person = _person(actor)
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
    _history(proposal, actor=person, action=action, step=step, comment=comment, at=now)
    details: dict[str, Any] = {"step": step.pk, "round": step.round, "kind": step.kind}
    if step.kind == ProposalStep.Kind.DECIDE:
        _decide(proposal, now=now)
        details["document_number"] = proposal.document_number
    elif is_circulation and not _open_steps(proposal).exists():
        # Everyone has seen it: the circulation is complete (供覧済), without a number.
        proposal.status = Status.APPROVED
        proposal.decided_at = now
        proposal.save(update_fields=["status", "decided_at", "updated_at"])
    # The flow's join waits for the rest of a 合議 group, then its hub activates the next group
    # (or ends the process after the decision). Every approver of this proposal holds its row
    # lock while doing so: the route moves on exactly once.
    _complete_task(proposal, step)
    _audit(f"workflow.task_{action}", actor, proposal, **details, **_acting(step))
    return step


@transaction.atomic
def task_send_back(*, actor: Any, step: ProposalStep, comment: str) -> ProposalStep:
    """差戻し: return the proposal to the drafter with a comment; all other open steps of the
    round are cancelled. Raises ValidationFailed without a comment, PermissionRefused,
    Conflict like ``task_approve``."""
    comment = (comment or "").strip()
    if not comment:
        raise ValidationFailed(_("A comment is required to send a proposal back."))
    person = _person(actor)
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
    cancelled = _cancel_open_steps(proposal)
    proposal.status = Status.RETURNED
    proposal.save(update_fields=["status", "updated_at"])
    _complete_task(proposal, step)  # the join cancels the sibling 合議 branches; the process ends
    _history(proposal, actor=person, action=Action.SENT_BACK, step=step, comment=comment, at=now)
    _audit(
        "workflow.task_sent_back",
        actor,
        proposal,
        step=step.pk,
        round=step.round,
        cancelled_steps=cancelled,
        **_acting(step),
    )
    return step


@transaction.atomic
def task_reject(*, actor: Any, step: ProposalStep, comment: str = "") -> ProposalStep:
    """否決: the final approver rejects the proposal. Raises PermissionRefused when the step is
    not a decide step or not the actor's, Conflict when it is no longer pending."""
    person = _person(actor)
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
    _cancel_open_steps(proposal)
    proposal.status = Status.REJECTED
    proposal.decided_at = now
    proposal.save(update_fields=["status", "decided_at", "updated_at"])
    _complete_task(proposal, step)
    _history(proposal, actor=person, action=Action.REJECTED, step=step, comment=comment, at=now)
    _audit(
        "workflow.task_rejected", actor, proposal, step=step.pk, round=step.round, **_acting(step)
    )
    return step


@transaction.atomic
def task_approve_ahead(*, actor: Any, proposal: Proposal, comment: str = "") -> ProposalStep:
    """引上げ承認: an approver further along the route approves while earlier approvers are
    absent; the earlier open 回議 steps are ``skipped``, the actor's step is approved (or
    decided, with the document number). The actor may also be that approver's deputy (代決).

    Raises PermissionRefused when the actor has no later step on the route, Conflict when the
    proposal is not in review, the actor's step is already pending (approve it instead) or a
    合議 lies before it (consultations are never skipped).
    """
    person = _person(actor)
    proposal = _locked(proposal.pk)
    steps = list(
        ProposalStep.objects.filter(proposal=proposal, round=proposal.round).order_by("order")
    )
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
    skipped = [s for s in steps if s.order < step.order and s.state in _OPEN_STEP_STATES]
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
    _history(
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
    # The skipped step's task is done by the one who approved ahead (viewflow records them as
    # its owner); the hub then goes on after the actor's step, or ends after a decision.
    for reached in (s for s in skipped if s.task_id):
        _complete_task(proposal, reached, owner=actor)
    _audit("workflow.task_approved_ahead", actor, proposal, **details, **_acting(step))
    return step


# --- 後閲 ---------------------------------------------------------------------


@transaction.atomic
def post_review_ack(*, actor: Any, post_review: PostReview) -> PostReview:
    """The principal acknowledges a 後閲 item. Raises PermissionRefused for anyone else,
    Conflict when already acknowledged."""
    person = _person(actor)
    item = PostReview.objects.select_for_update().get(pk=post_review.pk)
    if item.principal_id != person.pk:
        raise PermissionRefused(_("This post-review item is not yours."))
    if item.acknowledged_at is not None:
        raise Conflict(_("This post-review item has already been acknowledged."))
    item.acknowledged_at = timezone.now()
    item.save(update_fields=["acknowledged_at"])
    audit.record(
        action="workflow.post_review_acknowledged",
        actor=actor,
        target=item,
        details={"step": item.step_id},
    )
    return item


# --- helpers ----------------------------------------------------------------------------------


def _person(actor: Any) -> Person:
    person = person_for_user(actor)
    if person is None or not person.is_active:
        raise PermissionRefused(_("Only staff of the directory can take part in approvals."))
    return person


def _clean_title(title: str) -> str:
    title = (title or "").strip()
    if not title:
        raise ValidationFailed(_("A title is required."))
    if len(title) > TITLE_MAX_LENGTH:
        raise ValidationFailed(
            _("The title is longer than %(max)s characters.") % {"max": TITLE_MAX_LENGTH}
        )
    return title


def _drafting_unit(drafter: Person) -> OrgUnit:
    """The drafter's 課 (or the unit itself for someone posted above any 課, e.g. a 部長)."""
    post = person_primary_post(drafter)
    if post is None:
        raise ValidationFailed(_("The drafter has no post in the directory."))
    return unit_at_level(post.unit, OrgUnit.Level.DIVISION) or post.unit


def _compute_route(proposal: Proposal, *, drafter: Person) -> Sequence[RouteStep]:
    """The route of the proposal today: a circulation's recipients, else ``build_route``
    under the rules in force (recorded on the proposal with their explanations)."""
    if proposal.kind == Proposal.Kind.CIRCULATION:
        proposal.ruleset_id = None
        proposal.explanations = []
        people = Person.objects.in_bulk(proposal.recipient_ids)
        return _circulation_steps(
            [people[pk] for pk in proposal.recipient_ids if pk in people], drafter=drafter
        )
    approvers, consultees = _stored_reviewers(proposal)
    route = build_route(
        drafter=drafter,
        category=proposal.category.code,
        amount=proposal.amount,
        on=timezone.localdate(),
        extra_approvers=approvers,
        extra_consultees=consultees,
    )
    _apply_route_meta(proposal, route)
    return route.steps


def reviewers_by_username(usernames: Sequence[str]) -> list[Person]:
    """Active people of the directory by username, in the given order, each once.

    Raises ValidationFailed naming every unknown or inactive username.
    """
    if isinstance(usernames, str):
        usernames = [usernames]
    wanted = list(dict.fromkeys(usernames))
    found = {
        p.username: p
        for p in Person.objects.select_related("user").filter(
            user__username__in=wanted, is_active=True
        )
    }
    missing = [name for name in wanted if name not in found]
    if missing:
        raise ValidationFailed(
            _("Unknown or inactive reviewers: %(names)s") % {"names": ", ".join(missing)}
        )
    return [found[name] for name in wanted]


def _clean_reviewers(
    approvers: Sequence[Person], consultees: Sequence[Person], *, drafter: Person
) -> tuple[list[Person], list[Person]]:
    """The drafter's optional reviewers, each once; refuses the drafter, an inactive person
    and someone named both as an approver and as a consultee."""
    approvers = list({p.pk: p for p in approvers}.values())
    consultees = list({p.pk: p for p in consultees}.values())
    for person in (*approvers, *consultees):
        if person.pk == drafter.pk:
            raise ValidationFailed(_("The drafter cannot be added to their own route."))
        if not person.is_active:
            raise ValidationFailed(
                _("%(name)s is not active and cannot be on a route.")
                % {"name": person.display_name}
            )
    consultee_ids = {p.pk for p in consultees}
    for person in approvers:
        if person.pk in consultee_ids:
            raise ValidationFailed(
                _("%(name)s cannot be both an extra approver and an extra consultee.")
                % {"name": person.display_name}
            )
    return approvers, consultees


def _stored_reviewers(proposal: Proposal) -> tuple[list[Person], list[Person]]:
    """The proposal's optional reviewers: (extra approvers, extra consultees), in order."""
    if proposal.pk is None:
        return [], []
    rows = ProposalReviewer.objects.filter(proposal=proposal).select_related("person__user")
    approvers = [r.person for r in rows if r.kind == ProposalReviewer.Kind.APPROVE]
    consultees = [r.person for r in rows if r.kind == ProposalReviewer.Kind.CONSULT]
    return approvers, consultees


def _store_reviewers(
    proposal: Proposal, *, approvers: Sequence[Person], consultees: Sequence[Person]
) -> None:
    ProposalReviewer.objects.filter(proposal=proposal).delete()
    kinds = (
        (ProposalReviewer.Kind.APPROVE, approvers),
        (ProposalReviewer.Kind.CONSULT, consultees),
    )
    ProposalReviewer.objects.bulk_create(
        ProposalReviewer(proposal=proposal, person=person, kind=kind, position=n)
        for kind, people in kinds
        for n, person in enumerate(people)
    )


def _reviewer_details(approvers: Sequence[Person], consultees: Sequence[Person]) -> dict:
    """For the audit log: the optional reviewers by username (nothing when there are none)."""
    if not approvers and not consultees:
        return {}
    return {
        "extra_approvers": [p.username for p in approvers],
        "extra_consultees": [p.username for p in consultees],
    }


def _recipients(usernames: Sequence[str], *, drafter: Person) -> list[Person]:
    """A circulation's recipients by username: active, with a post, not the drafter, once."""
    if isinstance(usernames, str) or not usernames:
        raise ValidationFailed(_("A circulation needs at least one recipient."))
    found = {
        p.username: p
        for p in Person.objects.select_related("user").filter(
            user__username__in=list(usernames), is_active=True
        )
    }
    people: list[Person] = []
    for username in dict.fromkeys(usernames):
        person = found.get(username)
        if person is None:
            raise ValidationFailed(_("Unknown recipient: %(name)s") % {"name": username})
        if person.pk == drafter.pk:
            raise ValidationFailed(_("The drafter cannot be a recipient of their own circulation."))
        people.append(person)
    return people


def _circulation_steps(people: Sequence[Person], *, drafter: Person) -> list[RouteStep]:
    """One 供覧 step per recipient, all on one order: they confirm in any order."""
    if not people:
        raise ValidationFailed(_("A circulation needs at least one recipient."))
    steps = []
    for person in people:
        if not person.is_active or person.pk == drafter.pk:
            raise ValidationFailed(
                _("%(name)s cannot receive this circulation.") % {"name": person.display_name}
            )
        post = person_primary_post(person)
        if post is None:
            raise ValidationFailed(
                _("%(name)s has no post in the directory and cannot be on a route.")
                % {"name": person.display_name}
            )
        reason = _("Circulation (供覧): %(name)s") % {"name": person.display_name}
        steps.append(
            RouteStep(
                1, ProposalStep.Kind.CIRCULATE, person, post.unit, post.position.title, reason
            )
        )
    return steps


def _apply_route_meta(proposal: Proposal, route: Route) -> None:
    proposal.ruleset_id = route.ruleset_id
    proposal.explanations = list(route.explanations)


def _store_route(proposal: Proposal, steps: Sequence[RouteStep], *, round_: int) -> None:
    """Replace the (unsubmitted) steps of ``round_`` by these."""
    ProposalStep.objects.filter(proposal=proposal, round__gte=round_).delete()
    ProposalStep.objects.bulk_create(
        ProposalStep(
            proposal=proposal,
            round=round_,
            order=step.order,
            kind=step.kind,
            approver=step.approver,
            unit=step.unit,
            position=step.position,
            reason=step.reason,
            level_code=step.level_code,
            is_optional=step.is_optional,
        )
        for step in steps
    )


def _locked(proposal_id: int) -> Proposal:
    return (
        Proposal.objects.select_for_update()
        .select_related("category", "drafting_unit")
        .get(pk=proposal_id)
    )


def _locked_step(person: Person, step: ProposalStep) -> tuple[Proposal, ProposalStep, int | None]:
    """Lock the proposal, re-read the step, check the actor may act and the step is pending."""
    proposal = _locked(step.proposal_id)
    step = ProposalStep.objects.get(pk=step.pk)
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
        # 代決: the principal reviews afterwards (後閲).
        PostReview.objects.create(principal_id=acting_for_id, step=step)


def _complete_task(proposal: Proposal, step: ProposalStep, *, owner: Any = None) -> None:
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


def _cancel_process(proposal: Proposal) -> None:
    """End the round's viewflow process (withdraw, cancel): its open tasks are cancelled."""
    if proposal.process_id is None:
        return
    process = Process.objects.get(pk=proposal.process_id)
    if process.status not in (PROCESS.DONE, PROCESS.CANCELED):
        ProposalFlow.instance.cancel(process)


def _open_steps(proposal: Proposal):
    return ProposalStep.objects.filter(
        proposal=proposal, round=proposal.round, state__in=_OPEN_STEP_STATES
    )


def _cancel_open_steps(proposal: Proposal) -> list[int]:
    open_steps = _open_steps(proposal)
    ids = list(open_steps.values_list("pk", flat=True))
    open_steps.update(state=State.CANCELLED)
    return ids


def _decide(proposal: Proposal, *, now: datetime) -> None:
    """Approved: the next document number of the drafting 課 in the fiscal year of ``now``.

    The counter row is locked in this transaction, so numbers are unique and gap-free: a
    decision that rolls back gives its number back with it.
    """
    fy = fiscal_year(now)
    counter, _created = DocumentCounter.objects.select_for_update().get_or_create(
        unit=proposal.drafting_unit, fiscal_year=fy
    )
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


def _history(
    proposal: Proposal,
    *,
    actor: Person,
    action: str,
    step: ProposalStep | None = None,
    comment: str = "",
    at: datetime | None = None,
    round_: int | None = None,
) -> None:
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


def _acting(step: ProposalStep) -> dict[str, Any]:
    """代決: the principal's username, for the audit log."""
    if not step.acting_for_id:
        return {}
    return {"acting_for": Person.objects.select_related("user").get(pk=step.acting_for_id).username}


def _audit(action: str, actor: Any, proposal: Proposal, **details: Any) -> None:
    audit.record(action=action, actor=actor, target=proposal, details=details)
