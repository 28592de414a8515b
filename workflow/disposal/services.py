"""Disposal (廃棄) as an approval process: a 課 proposes its binders past their disposal date,
the route of category ``disposal`` approves it (課長 decides, 総務課 consulted: the authority
table), and the approved decision destroys the files through ``documents.services``.

- ``disposal_propose`` checks the binders (the actor's 課, due, not under legal hold, not on
  another open disposal proposal), creates and submits a ``Proposal`` through the engine's
  services and links the binders (``DisposalProposalBinder``), in one transaction.
- ``on_approval_event`` (connected by ``connect()`` from ``WorkflowConfig.ready``) carries an
  approved decision out: ``disposal_carry_out`` calls ``documents.services.binder_dispose`` for
  each binder with the approved reference, in one transaction; a binder put under legal hold
  since (or otherwise refused by records) is skipped with the reason and kept intact. A
  rejected, sent-back or cancelled proposal destroys nothing.
- ``approved_disposal`` answers ``documents.hooks.approved_disposal``: the reference
  ``<document number> (proposal <id>)`` of an approved disposal proposal, its binders (not the
  skipped ones), the people who approved it (from the ``Decision`` history) and when.

Lock order: proposal row → binder rows → audit chain head (as the engine and records do).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit import services as audit
from audit.exceptions import Conflict, KairanError, NotFound, PermissionRefused, ValidationFailed
from audit.transactions import atomic_service
from directory.calendar import fiscal_year_label, wareki
from documents import hooks as documents_hooks
from documents import permissions as documents_permissions
from documents import selectors as documents_selectors
from documents import services as documents_services
from documents.hooks import ApprovedDisposal
from documents.models import Binder
from workflow.disposal.models import DisposalProposalBinder
from workflow.engine.events import ProposalDecided, approval_event
from workflow.proposals import services
from workflow.proposals.models import Decision, Proposal

CATEGORY = "disposal"
MAX_BINDERS = 200
Outcome = DisposalProposalBinder.Outcome
_REFERENCE = re.compile(r"\(proposal (\d+)\)$")
_OPEN = (Proposal.Status.DRAFT, Proposal.Status.IN_REVIEW, Proposal.Status.RETURNED)
# History actions that approved the decided round (合議 included).
_APPROVING = (
    Decision.Action.APPROVED,
    Decision.Action.APPROVED_AHEAD,
    Decision.Action.CONSULTED,
    Decision.Action.DECIDED,
)


def connect() -> None:
    """Subscribe to approval events and answer records' disposal hook (``ready()``)."""
    approval_event.connect(on_approval_event, dispatch_uid="workflow.disposal.services.carry_out")
    documents_hooks.register(disposal=approved_disposal)


# --- proposing --------------------------------------------------------------------------------


@atomic_service
def disposal_propose(*, actor: Any, binders: Iterable[Binder | int]) -> Proposal:
    """Propose the disposal of binders of the actor's 課 that are past their disposal date, and
    submit the proposal (category ``disposal``) on its route.

    Raises NotFound (404) for a binder the actor may not see, PermissionRefused (403) for
    another 課's binder, ValidationFailed (400, naming them) for none, binders not due or under
    legal hold, Conflict (409) for binders already on an open disposal proposal.
    """
    ids = sorted({b.pk if isinstance(b, Binder) else int(b) for b in binders})
    if not ids:
        raise ValidationFailed(_("Choose at least one binder to dispose of."))
    if len(ids) > MAX_BINDERS:
        raise ValidationFailed(
            _("At most %(count)d binders can be proposed at once.") % {"count": MAX_BINDERS}
        )
    visible = set(
        documents_selectors.binder_list_visible(user=actor)
        .filter(pk__in=ids)
        .values_list("pk", flat=True)
    )
    if set(ids) - visible:
        raise NotFound(_("Not found."))
    unit = documents_services.division_of(actor)
    locked = list(
        Binder.objects.select_for_update(of=("self",), no_key=True)
        .select_related("unit")
        .filter(pk__in=ids)
        .order_by("pk")
    )
    others = [b for b in locked if b.unit_id != unit.pk]
    if others:
        raise PermissionRefused(
            _("Only binders of your own division can be proposed for disposal: %(binders)s")
            % {"binders": _names(others)}
        )
    today = timezone.localdate()
    due = set(
        documents_selectors.binders_due_for_disposal(unit, today, include_held=True)
        .filter(pk__in=ids)
        .values_list("pk", flat=True)
    )
    not_due = [b for b in locked if b.pk not in due]
    if not_due:
        raise ValidationFailed(
            _("These binders are not due for disposal: %(binders)s") % {"binders": _names(not_due)}
        )
    held = [b for b in locked if b.is_legal_hold]
    if held:
        raise ValidationFailed(
            _("These binders are under legal hold: %(binders)s") % {"binders": _names(held)}
        )
    pending = _on_open_proposals(ids)
    if pending:
        raise Conflict(
            _("These binders are already on a disposal proposal: %(binders)s")
            % {"binders": _names(pending)}
        )
    ordered = sorted(locked, key=lambda b: (b.disposal_on, b.fiscal_year, b.title, b.pk))
    proposal = services.proposal_create(
        actor=actor, title=_title(unit.name, len(ordered)), body=_body(ordered), category=CATEGORY
    )
    DisposalProposalBinder.objects.bulk_create(
        DisposalProposalBinder(proposal=proposal, binder=binder) for binder in ordered
    )
    proposal = services.proposal_submit(actor=actor, proposal=proposal)
    audit.record(
        action="workflow.disposal_proposed",
        actor=actor,
        target=proposal,
        details={"binders": [b.pk for b in ordered]},
    )
    return proposal


def disposal_binders(proposal: Proposal) -> list[DisposalProposalBinder]:
    """The binders of a disposal proposal with their outcome, in the proposal's order."""
    return list(
        DisposalProposalBinder.objects.filter(proposal=proposal)
        .select_related("binder__unit")
        .order_by("id")
    )


def _on_open_proposals(ids: Sequence[int]) -> list[Binder]:
    """Binders already on a disposal proposal that is open, or approved and not carried out."""
    links = DisposalProposalBinder.objects.filter(binder_id__in=ids).select_related("binder")
    open_links = links.filter(proposal__status__in=_OPEN) | links.filter(
        proposal__status=Proposal.Status.APPROVED, outcome=Outcome.PROPOSED
    )
    return sorted({link.binder for link in open_links}, key=lambda b: b.pk)


def _names(binders: Iterable[Binder]) -> str:
    return "、".join(f"{b.title}（{fiscal_year_label(b.fiscal_year)}）" for b in binders)


def _title(unit_name: str, count: int) -> str:
    return _("Disposal of %(count)d binders past their retention period (%(unit)s)") % {
        "count": count,
        "unit": unit_name,
    }


def _body(binders: Sequence[Binder]) -> str:
    lines = [
        _(
            "The following binders have passed their retention period and are proposed for "
            "disposal (廃棄):"
        )
    ]
    for binder in binders:
        lines.append(
            _("- %(title)s: fiscal year %(year)s, retention %(retention)s, disposal date %(date)s")
            % {
                "title": binder.title,
                "year": fiscal_year_label(binder.fiscal_year),
                "retention": binder.get_retention_display(),
                "date": wareki(binder.disposal_on) if binder.disposal_on else "",
            }
        )
    return "\n".join(lines)


# --- carrying out an approved decision ----------------------------------------------------------


def disposal_reference(proposal: Proposal) -> str:
    """The approval reference a disposal record keeps: ``交財第3号 (proposal 12)``."""
    return f"{proposal.document_number} (proposal {proposal.pk})"


def on_approval_event(sender: Any, event: Any, **kwargs: Any) -> None:
    """An approved disposal proposal is carried out; anything else is not ours."""
    if not isinstance(event, ProposalDecided) or event.outcome != ProposalDecided.APPROVED:
        return
    if not DisposalProposalBinder.objects.filter(proposal_id=event.proposal_id).exists():
        return
    disposal_carry_out(proposal_id=event.proposal_id)


@atomic_service
def disposal_carry_out(*, proposal_id: int) -> list[DisposalProposalBinder]:
    """Destroy the binders of an approved disposal proposal that are still ``proposed``.

    Idempotent: binders already disposed or skipped are left alone. A binder under legal hold,
    or one that records refuses (e.g. already disposed), is skipped with the reason and kept.
    Returns the links processed now.
    """
    proposal = (
        Proposal.objects.select_for_update(of=("self",), no_key=True)
        .select_related("category", "drafter__user", "drafting_unit")
        .get(pk=proposal_id)
    )
    if proposal.status != Proposal.Status.APPROVED or proposal.category.code != CATEGORY:
        return []
    reference = disposal_reference(proposal)
    links = list(
        DisposalProposalBinder.objects.filter(proposal=proposal, outcome=Outcome.PROPOSED)
        .select_related("binder")
        .order_by("binder_id")
    )
    deciders = _decider_users(proposal)
    now = timezone.now()
    # Every binder locked now, in key order, before anything is audited: the audit chain's
    # head is the last lock a transaction takes (audit/transactions.py).
    binders = {
        binder.pk: binder
        for binder in Binder.objects.select_for_update(of=("self",), no_key=True)
        .select_related("unit")
        .filter(pk__in=[link.binder_id for link in links])
        .order_by("pk")
    }
    for link in links:
        binder = binders[link.binder_id]
        executor = _executor(proposal, binder, deciders)
        if binder.is_legal_hold:
            reason = _("Under legal hold: %(reason)s") % {"reason": binder.legal_hold_reason}
            _skip(link, proposal=proposal, actor=executor, reason=reason, now=now)
            continue
        try:
            with transaction.atomic():
                record = documents_services.binder_dispose(
                    actor=executor, binder=binder, approval_reference=reference
                )
        except KairanError as exc:
            _skip(link, proposal=proposal, actor=executor, reason=exc.message, now=now)
            continue
        link.outcome, link.disposal_record, link.processed_at = Outcome.DISPOSED, record, now
        link.save(update_fields=["outcome", "disposal_record", "processed_at"])
    return links


def _skip(
    link: DisposalProposalBinder, *, proposal: Proposal, actor: Any, reason: str, now: Any
) -> None:
    link.outcome, link.reason, link.processed_at = Outcome.SKIPPED, reason[:500], now
    link.save(update_fields=["outcome", "reason", "processed_at"])
    audit.record(
        action="workflow.disposal_skipped",
        actor=actor,
        target=proposal,
        details={"binder": link.binder_id, "reason": link.reason},
    )


def _decider_users(proposal: Proposal) -> list[Any]:
    """Users who approved the decided round, the last one (the decider) first."""
    rows = (
        Decision.objects.filter(proposal=proposal, round=proposal.round, action__in=_APPROVING)
        .select_related("actor__user")
        .order_by("-at", "-id")
    )
    return [row.actor.user for row in rows if row.actor.user_id]


def _executor(proposal: Proposal, binder: Binder, deciders: Sequence[Any]) -> Any:
    """Who carries the disposal out: the drafter if still a member of the binder's 課, else the
    first approver who is (the decider first); the drafter otherwise (records then refuses)."""
    drafter = proposal.drafter.user
    for user in (drafter, *deciders):
        if user is not None and documents_permissions.can_dispose_binder(user, binder):
            return user
    return drafter


# --- records' hook ------------------------------------------------------------------------------


def approved_disposal(reference: str) -> ApprovedDisposal | None:
    """The approved disposal behind ``reference``, or None (not ours, not approved, unknown)."""
    match = _REFERENCE.search((reference or "").strip())
    if match is None:
        return None
    proposal = (
        Proposal.objects.filter(
            pk=int(match.group(1)), status=Proposal.Status.APPROVED, category__code=CATEGORY
        )
        .exclude(document_number="")
        .first()
    )
    if proposal is None or disposal_reference(proposal) != reference.strip():
        return None
    binder_ids = frozenset(
        DisposalProposalBinder.objects.filter(proposal=proposal)
        .exclude(outcome=Outcome.SKIPPED)
        .values_list("binder_id", flat=True)
    )
    return ApprovedDisposal(
        reference=disposal_reference(proposal),
        binder_ids=binder_ids,
        approved_by=approvers(proposal),
        approved_at=proposal.decided_at,
    )


def approvers(proposal: Proposal) -> list[str]:
    """Who approved the decided round, in order (``deputy (for principal)`` for 代決)."""
    rows = (
        Decision.objects.filter(proposal=proposal, round=proposal.round, action__in=_APPROVING)
        .select_related("actor__user", "acting_for__user")
        .order_by("at", "id")
    )
    names: list[str] = []
    for row in rows:
        name = row.actor.user.get_username() if row.actor.user_id else str(row.actor)
        if row.acting_for_id:
            principal = row.acting_for.user.get_username() if row.acting_for.user_id else ""
            name = f"{name} (for {principal})"
        names.append(name)
    return names
