"""Proposals: create (起案, 供覧), edit, submit, withdraw (引戻し), cancel (取下げ); the route
is computed on every save and again at submission."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from datetime import date
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from audit.exceptions import Conflict, PermissionRefused, ValidationFailed
from audit.transactions import atomic_service
from directory.models import OrgUnit, Person
from directory.selectors import (
    person_primary_post,
    unit_at_level,
)
from documents.models import Retention
from documents.search import index_upsert
from workflow.authority import rules
from workflow.authority.routing import Route, RouteStep, build_route
from workflow.engine.events import ProposalStopped, publish
from workflow.flows import ProposalFlow, driving
from workflow.proposals import permissions
from workflow.proposals.attachments_models import ProposalAttachment
from workflow.proposals.drafting_models import ProposalTemplate
from workflow.proposals.models import (
    Proposal,
    ProposalStep,
)
from workflow.proposals.search import proposal_entry
from workflow.proposals.services._common import (
    Action,
    Status,
    acting_person,
    audit_proposal,
    cancel_open_steps,
    cancel_process,
    locked_proposal,
    record_history,
    resolve_ended_tasks,
)
from workflow.proposals.services.attachments import round_attachments_freeze, round_content_freeze
from workflow.proposals.services.reviewers import (
    _circulation_steps,
    _clean_reviewers,
    _recipients,
    _reviewer_details,
    _store_reviewers,
    _stored_reviewers,
)

_UNSET: Any = object()
TITLE_MAX_LENGTH = Proposal._meta.get_field("title").max_length
BINDER_TITLE_MAX_LENGTH = Proposal._meta.get_field("binder_title").max_length


def _index(proposal: Proposal) -> None:
    # Search (documents.search) keeps title and body; same transaction, so a rollback leaves
    # no entry for a proposal that does not exist.
    entry = proposal_entry(proposal)
    index_upsert(**{f.name: getattr(entry, f.name) for f in fields(entry)})


@atomic_service
def proposal_create(
    *,
    actor: Any,
    title: str,
    body: str = "",
    category: str,
    amount: int | None = None,
    extra_approvers: Sequence[Person] = (),
    extra_consultees: Sequence[Person] = (),
    letter_body: str = "",
    template: ProposalTemplate | None = None,
    due_on: date | None = None,
    binder_title: str = "",
    retention_years: int | None = None,
) -> Proposal:
    """A draft proposal of the actor, with its route computed under today's rules (round 1).

    ``due_on``: 処理期限, today or later. ``binder_title`` / ``retention_years``: the binder
    (簿冊) of the drafting 課 the decided proposal is filed in, and its 保存年限 (see
    ``workflow/proposals/filing.py``).

    ``template``: the 起案 template it was drafted from (its required attachments are checked at
    submission); ``letter_body``: the body of the outgoing letter (施行文書), not the 伺い文.

    ``extra_approvers`` / ``extra_consultees``: optional reviewers the drafter adds (extra 回議
    steps, extra 合議 parties); kept with the proposal and on every round's route as optional
    steps. A required approver named as an extra stays where the rules put them, once.

    Raises PermissionRefused for a user who is not a person of the directory with a post,
    ValidationFailed for a bad title, category or amount, a bad reviewer (the drafter, inactive,
    without a post, in both lists), or when no route can be built.
    """
    drafter = acting_person(actor)
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
        letter_body=letter_body or "",
        template=template,
        due_on=_clean_due_on(due_on),
        binder_title=_clean_binder_title(binder_title),
        retention_years=_clean_retention(retention_years),
    )
    _apply_route_meta(proposal, route)
    proposal.save()
    _store_reviewers(proposal, approvers=approvers, consultees=consultees)
    _store_route(proposal, route.steps, round_=1)
    record_history(proposal, actor=drafter, action=Action.CREATED, round_=1)
    audit_proposal(
        "workflow.proposal_created",
        actor,
        proposal,
        title=title,
        category=category,
        **_reviewer_details(approvers, consultees),
    )
    _index(proposal)
    return proposal


@atomic_service
def circulation_create(
    *, actor: Any, title: str, body: str = "", recipients: Sequence[str]
) -> Proposal:
    """A draft 供覧 (circulation) of the actor to the given recipients (usernames), who will
    only confirm they have seen it. Raises PermissionRefused like ``proposal_create``,
    ValidationFailed for a bad title, no, unknown or post-less recipients, or the drafter."""
    drafter = acting_person(actor)
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
    record_history(proposal, actor=drafter, action=Action.CREATED, round_=1)
    audit_proposal(
        "workflow.circulation_created",
        actor,
        proposal,
        title=title,
        recipients=[p.username for p in people],
    )
    _index(proposal)
    return proposal


@atomic_service
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
    letter_body: str = _UNSET,
    due_on: date | None = _UNSET,
    binder_title: str = _UNSET,
    retention_years: int | None = _UNSET,
) -> Proposal:
    """Change a draft or returned proposal (drafter only) and recompute its route preview;
    ``recipients`` (usernames) only for a circulation, ``category``/``amount`` and the optional
    reviewers (each list replaces the stored one of its kind) only for others.

    Raises PermissionRefused for anyone but the drafter, Conflict unless draft/returned,
    ValidationFailed like ``proposal_create``.
    """
    person = acting_person(actor)
    proposal = locked_proposal(proposal.pk)
    if not permissions.is_drafter(person, proposal):
        raise PermissionRefused(_("Only the drafter may change this proposal."))
    if proposal.status not in permissions.EDITABLE:
        raise Conflict(_("Only a draft or a returned proposal can be changed."))
    changed: dict[str, Any] = {}
    if title is not _UNSET:
        changed["title"] = _clean_title(title)
    if body is not _UNSET:
        changed["body"] = body or ""
    if letter_body is not _UNSET:
        changed["letter_body"] = letter_body or ""
    if due_on is not _UNSET:
        changed["due_on"] = _clean_due_on(due_on)
    if binder_title is not _UNSET:
        changed["binder_title"] = _clean_binder_title(binder_title)
    if retention_years is not _UNSET:
        changed["retention_years"] = _clean_retention(retention_years)
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
    record_history(proposal, actor=person, action=Action.UPDATED, round_=proposal.round + 1)
    audit_proposal("workflow.proposal_updated", actor, proposal, fields=sorted(changed))
    _index(proposal)
    return proposal


@atomic_service
def proposal_submit(*, actor: Any, proposal: Proposal) -> Proposal:
    """draft/returned → in_review: a new round on the route under today's rules; the first
    step(s) become pending. Raises PermissionRefused (not the drafter), Conflict (status)."""
    person = acting_person(actor)
    proposal = locked_proposal(proposal.pk)
    if not permissions.is_drafter(person, proposal):
        raise PermissionRefused(_("Only the drafter may submit this proposal."))
    if proposal.status not in permissions.EDITABLE:
        raise Conflict(_("Only a draft or a returned proposal can be submitted."))
    _check_required_attachments(proposal)
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
    frozen = round_attachments_freeze(proposal, round_=new_round)
    round_content_freeze(proposal, round_=new_round)
    # The flow makes the first group's steps pending (ProposalFlow.step_reached).
    with driving(proposal):
        proposal.process = ProposalFlow.start.run(proposal=proposal)
    proposal.save(update_fields=["process"])
    record_history(proposal, actor=person, action=Action.SUBMITTED, at=now)
    audit_proposal(
        "workflow.proposal_submitted",
        actor,
        proposal,
        round=new_round,
        ruleset_version=proposal.ruleset.version if proposal.ruleset_id else None,
        attachments=[
            {"document": a.document_id, "version": a.version.number, "sha256": a.sha256}
            for a in frozen
        ],
    )
    return proposal


@atomic_service
def proposal_withdraw(*, actor: Any, proposal: Proposal) -> Proposal:
    """引戻し: the drafter takes an in-review proposal back to draft; pending steps cancelled.

    Raises PermissionRefused for anyone but the drafter, Conflict unless in review.
    """
    person = acting_person(actor)
    proposal = locked_proposal(proposal.pk)
    if not permissions.is_drafter(person, proposal):
        raise PermissionRefused(_("Only the drafter may withdraw this proposal."))
    if proposal.status != Status.IN_REVIEW:
        raise Conflict(_("Only a proposal in review can be withdrawn."))
    return _stop_round(
        proposal, actor=actor, person=person, status=Status.DRAFT, action=Action.WITHDRAWN
    )


@atomic_service
def proposal_cancel(*, actor: Any, proposal: Proposal) -> Proposal:
    """取下げ: the drafter abandons the proposal; it stays on record as ``cancelled``.

    Raises PermissionRefused for anyone but the drafter, Conflict once decided or cancelled.
    """
    person = acting_person(actor)
    proposal = locked_proposal(proposal.pk)
    if not permissions.is_drafter(person, proposal):
        raise PermissionRefused(_("Only the drafter may cancel this proposal."))
    if proposal.status not in permissions.OPEN:
        raise Conflict(_("This proposal has already been decided or cancelled."))
    return _stop_round(
        proposal, actor=actor, person=person, status=Status.CANCELLED, action=Action.CANCELLED
    )


def _stop_round(
    proposal: Proposal, *, actor: Any, person: Person, status: str, action: str
) -> Proposal:
    """The drafter stops the round (withdraw, cancel): its open steps and viewflow process are
    cancelled, the proposal takes ``status``; history and audit name the action."""
    cancelled = cancel_open_steps(proposal)
    cancel_process(proposal)
    proposal.status = status
    proposal.save(update_fields=["status", "updated_at"])
    record_history(proposal, actor=person, action=action, at=timezone.now())
    audit_proposal(
        f"workflow.proposal_{action}", actor, proposal, round=proposal.round, steps=cancelled
    )
    resolve_ended_tasks(cancelled)
    if proposal.round:
        publish(
            ProposalStopped(
                proposal_id=proposal.pk,
                round=proposal.round,
                title=proposal.title,
                drafter_id=proposal.drafter_id,
                action=action,
                recipient_ids=_reached_people(proposal),
            )
        )
    return proposal


def _reached_people(proposal: Proposal) -> tuple[int, ...]:
    """The approvers the round had reached, and whoever acted for them; not the drafter."""
    people: set[int] = set()
    for approver_id, acted_by_id in ProposalStep.objects.filter(
        proposal=proposal, round=proposal.round, activated_at__isnull=False
    ).values_list("approver_id", "acted_by_id"):
        people.update(pk for pk in (approver_id, acted_by_id) if pk)
    people.discard(proposal.drafter_id)
    return tuple(sorted(people))


def _clean_due_on(value: date | None) -> date | None:
    if value is not None and value < timezone.localdate():
        raise ValidationFailed(_("The due date cannot be in the past."))
    return value


def _clean_binder_title(value: str) -> str:
    value = " ".join((value or "").split())
    if len(value) > BINDER_TITLE_MAX_LENGTH:
        raise ValidationFailed(
            _("The binder title is longer than %(max)s characters.")
            % {"max": BINDER_TITLE_MAX_LENGTH}
        )
    return value


def _clean_retention(value: int | None) -> int | None:
    if value is not None and value not in Retention.values:
        raise ValidationFailed(_("Retention must be 1, 3, 5, 10, 30 years or permanent."))
    return value


def _check_required_attachments(proposal: Proposal) -> None:
    """The attachments the proposal's template requires (見積書, 仕様書 …): each must be named in
    the title of an attachment; ValidationFailed naming the missing ones."""
    if proposal.template_id is None:
        return
    template = ProposalTemplate.objects.filter(pk=proposal.template_id).first()
    required = template.required_list if template else []
    if not required:
        return
    titles = list(
        ProposalAttachment.objects.filter(proposal=proposal).values_list(
            "document__title", flat=True
        )
    )
    missing = [name for name in required if not any(name in title for title in titles)]
    if missing:
        raise ValidationFailed(
            _("Attach these before submitting: %(names)s") % {"names": "、".join(missing)}
        )


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
