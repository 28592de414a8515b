"""In-flight approvals follow the post across a reorganisation (人事異動・組織改正).

Called by ``directory.reorg`` through the hook registered in ``WorkflowConfig.ready`` (directory
never imports workflow). Given what changed (``ReorgChange``), ``pending_steps_reassign``:

- moves every open 回議/決裁/合議 step whose holder no longer heads the step's unit (or whose
  unit was merged or closed) to the unit's — or its successor's — head: ``ProposalStep.approver``
  and the viewflow task's ``owner``, under each proposal's row lock, with a history entry saying
  why, audited, and the new holder notified;
- moves unacknowledged 後閲 of people who left the post to its new holder;
- gives drafts and in-flight proposals of a merged or closed 課 its successor as drafting unit,
  and tells the former unit's head about drafts of people who left (the drafts stay with them);
- lets the successor of a merged 課 continue the fiscal year's document numbers (configurable);
- lists authority rules naming units that no longer exist.

Optional reviewers and 供覧 recipients were chosen as people, not posts: they stay. The dry run
calls the same code inside a transaction that is rolled back, so its report is the apply's.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db.models import F
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from viewflow.workflow.models import Task

from audit.services import EventSpec, record_many
from directory.calendar import fiscal_year
from directory.models import OrgUnit, Person
from directory.notifications import notification_create
from directory.reorg import ReorgChange, post_holder_hook_register
from directory.selectors import unit_heads
from workflow.authority.models import ConsultationRule
from workflow.authority.rules import ruleset_in_force
from workflow.proposals.models import (
    Decision,
    DocumentCounter,
    PostReview,
    Proposal,
    ProposalStep,
)

State = ProposalStep.State
Status = Proposal.Status
POST_BOUND_KINDS = (ProposalStep.Kind.APPROVE, ProposalStep.Kind.DECIDE, ProposalStep.Kind.CONSULT)
OPEN_STATES = (State.PENDING, State.WAITING)
IN_FLIGHT = (Status.DRAFT, Status.RETURNED, Status.IN_REVIEW)
CHUNK = 500


def connect() -> None:
    post_holder_hook_register(pending_steps_reassign)


# --- Selectors -----------------------------------------------------------------------------------


def pending_steps_affected(*, person_ids: set[int], unit_ids: set[int]):
    """Open post-bound steps of proposals in review held by these people or in these units."""
    from django.db.models import Q

    return (
        ProposalStep.objects.filter(
            Q(approver_id__in=person_ids) | Q(unit_id__in=unit_ids),
            state__in=OPEN_STATES,
            kind__in=POST_BOUND_KINDS,
            is_optional=False,
            proposal__status=Status.IN_REVIEW,
            round=F("proposal__round"),
        )
        .select_related("proposal", "approver", "unit")
        .order_by("proposal_id", "order", "id")
    )


def _ids_in_chunks(ids: set[int]):
    ordered = sorted(ids)
    for start in range(0, len(ordered), CHUNK):
        yield ordered[start : start + CHUNK]


# --- The hook ------------------------------------------------------------------------------------


def pending_steps_reassign(change: ReorgChange) -> dict[str, list[dict[str, Any]]]:
    """Move what follows the post; returns the report's rows (the dry run shows the same)."""
    people = set(change.people_moved | change.people_left)
    units = set(change.successors)
    steps: list[ProposalStep] = []
    for chunk in _ids_in_chunks(people):
        steps.extend(pending_steps_affected(person_ids=set(chunk), unit_ids=set()))
    seen = {s.pk for s in steps}
    for chunk in _ids_in_chunks(units):
        steps.extend(
            s
            for s in pending_steps_affected(person_ids=set(), unit_ids=set(chunk))
            if s.pk not in seen
        )
    target_of = {s.pk: change.successors.get(s.unit_id, s.unit_id) for s in steps}
    reviews = list(
        PostReview.objects.filter(
            principal_id__in=list(people), acknowledged_at__isnull=True
        ).select_related("step__unit", "principal")
    )
    all_units = set(target_of.values()) | {
        change.successors.get(r.step.unit_id, r.step.unit_id) for r in reviews
    }
    unit_rows = {u.pk: u for u in OrgUnit.objects.filter(pk__in=list(all_units))}
    parents = {u.parent_id for u in unit_rows.values() if u.parent_id}
    heads = unit_heads(list(all_units | parents))

    def holder(unit_id: int) -> Person | None:
        unit = unit_rows.get(unit_id)
        if unit_id in heads:
            return heads[unit_id]
        # A vacant unit: its parent's head takes the post's work.
        return heads.get(unit.parent_id) if unit and unit.parent_id else None

    report: dict[str, list[dict[str, Any]]] = {
        "steps": _move_steps(change, steps, target_of, holder, unit_rows),
        "post_reviews": _move_post_reviews(change, reviews, holder),
        "drafts": _drafts(change),
        "counters": _counters(change),
        "rules": _rules_without_units(change),
    }
    return report


def _move_steps(change, steps, target_of, holder, unit_rows) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    moves: list[tuple[ProposalStep, Person, int]] = []
    # Labels once, not per step (translating each label per row was a tenth of the apply).
    kinds = {value: str(label) for value, label in ProposalStep.Kind.choices}
    states = {value: str(label) for value, label in State.choices}
    for step in steps:
        target = target_of[step.pk]
        new = holder(target)
        row = {
            "proposal": step.proposal_id,
            "title": step.proposal.title,
            "step": kinds[step.kind],
            "state": states[step.state],
            "unit": step.unit.name,
            "from": step.approver.display_name,
        }
        if new is None or new.pk == step.proposal.drafter_id:
            row["to"] = ""
            row["note"] = (
                _("No head: stays with its holder; the drafter may withdraw and resubmit.")
                if new is None
                else _("The new head drafted it: stays with its holder.")
            )
            rows.append(row)
            continue
        if new.pk == step.approver_id and target == step.unit_id:
            continue  # the holder keeps the post
        row["to"] = new.display_name
        unit = unit_rows.get(target)
        row["note"] = unit.name if unit and target != step.unit_id else ""
        rows.append(row)
        moves.append((step, new, target))
    if not moves:
        return rows
    # Every action on a proposal locks its row first (workflow/proposals/services/_common.py); in
    # id order
    # so that two reorganisations cannot deadlock.
    proposal_ids = sorted({step.proposal_id for step, _new, _target in moves})
    for chunk in _ids_in_chunks(set(proposal_ids)):
        list(
            Proposal.objects.select_for_update(of=("self",), no_key=True)
            .filter(pk__in=chunk)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
    now = timezone.now()
    actor = change.actor_person
    by_owner: dict[int, list[int]] = defaultdict(list)
    history: list[Decision] = []
    audit: list[EventSpec] = []
    notify: dict[int, tuple[Person, int]] = {}
    for step, new, target in moves:
        old_name = step.approver.display_name
        step.approver = new
        step.unit_id = target
        if step.task_id:
            by_owner[new.user_id].append(step.task_id)
        comment = _("%(reason)s: %(old)s → %(new)s (the step follows the post)") % {
            "reason": change.reason,
            "old": old_name,
            "new": new.display_name,
        }
        history.append(
            Decision(
                proposal_id=step.proposal_id,
                round=step.round,
                step=step,
                actor=actor or new,
                action=Decision.Action.UPDATED,
                comment=comment,
                at=now,
            )
        )
        audit.append(
            EventSpec(
                action="workflow.step_reassigned",
                actor=change.actor,
                target=step.proposal,
                details={
                    "step": step.pk,
                    "from": old_name,
                    "to": new.display_name,
                    "reorganisation": change.reorganisation_id,
                },
            )
        )
        if step.state == State.PENDING:
            count = notify.get(new.pk, (new, 0))[1]
            notify[new.pk] = (new, count + 1)
    # One UPDATE per (new holder, unit): a few hundred small statements instead of bulk_update's
    # CASE over thousands of rows (which took 40% of a 4,000-step apply).
    groups: dict[tuple[int, int], list[int]] = defaultdict(list)
    for step, new, target in moves:
        groups[(new.pk, target)].append(step.pk)
    for (approver_id, unit_id), step_ids in groups.items():
        for chunk in _ids_in_chunks(set(step_ids)):
            ProposalStep.objects.filter(pk__in=chunk).update(
                approver_id=approver_id, unit_id=unit_id
            )
    for owner_id, task_ids in by_owner.items():
        for chunk in _ids_in_chunks(set(task_ids)):
            Task.objects.filter(pk__in=chunk).update(owner_id=owner_id)
    Decision.objects.bulk_create(history, batch_size=CHUNK)
    record_many(audit)
    for person, count in notify.values():
        notification_create(
            recipient=person,
            kind="reorg_tasks",
            title=_("%(n)d approvals passed to you with your new post") % {"n": count},
            body=change.reason,
            url=_url("workflow:inbox"),
        )
    return rows


def _url(name: str) -> str:
    try:
        return reverse(name)
    except NoReverseMatch:
        return ""


def _move_post_reviews(change, reviews, holder) -> list[dict[str, Any]]:
    rows = []
    taken = set(
        PostReview.objects.filter(step_id__in=[r.step_id for r in reviews]).values_list(
            "principal_id", "step_id"
        )
    )
    moved = []
    for review in reviews:
        target = change.successors.get(review.step.unit_id, review.step.unit_id)
        new = holder(target)
        if new is None or new.pk == review.principal_id:
            continue
        rows.append(
            {
                "proposal": review.step.proposal_id,
                "from": review.principal.display_name,
                "to": new.display_name if (new.pk, review.step_id) not in taken else "",
            }
        )
        if (new.pk, review.step_id) in taken:
            continue
        taken.add((new.pk, review.step_id))
        review.principal = new
        moved.append(review)
    PostReview.objects.bulk_update(moved, ["principal"], CHUNK)
    return rows


def _drafts(change) -> list[dict[str, Any]]:
    rows = []
    successors = change.successors
    # In-flight proposals of a merged or closed 課 are drafted, and numbered, by its successor.
    if successors:
        moving = list(
            Proposal.objects.filter(drafting_unit_id__in=list(successors), status__in=IN_FLIGHT)
            .select_related("drafter", "drafting_unit")
            .order_by("pk")
        )
        for proposal in moving:
            rows.append(
                {
                    "proposal": proposal.pk,
                    "title": proposal.title,
                    "drafter": proposal.drafter.display_name,
                    "note": _("drafting unit %(old)s → %(new)s")
                    % {
                        "old": proposal.drafting_unit.name,
                        "new": OrgUnit.objects.get(pk=successors[proposal.drafting_unit_id]).name,
                    },
                }
            )
            proposal.drafting_unit_id = successors[proposal.drafting_unit_id]
        Proposal.objects.bulk_update(moving, ["drafting_unit"], CHUNK)
    if change.people_left:
        left_drafts = list(
            Proposal.objects.filter(
                drafter_id__in=list(change.people_left),
                status__in=(Status.DRAFT, Status.RETURNED),
            )
            .select_related("drafter", "drafting_unit")
            .order_by("pk")
        )
        heads = unit_heads([p.drafting_unit_id for p in left_drafts])
        for proposal in left_drafts:
            head = heads.get(proposal.drafting_unit_id)
            rows.append(
                {
                    "proposal": proposal.pk,
                    "title": proposal.title,
                    "drafter": proposal.drafter.display_name,
                    "note": _("stays with the drafter, who left; %(head)s is told")
                    % {"head": head.display_name if head else "—"},
                }
            )
            if head is not None:
                notification_create(
                    recipient=head,
                    kind="reorg_draft",
                    title=_("A draft of %(name)s, who left, stays unfinished: %(title)s")
                    % {"name": proposal.drafter.display_name, "title": proposal.title},
                    body=change.reason,
                )
    return rows


def _counters(change) -> list[dict[str, Any]]:
    """The successor of a merged 課 continues the year's numbers after the highest given."""
    if change.numbering != "continue" or not change.successors:
        return []
    fy = fiscal_year(change.effective_on)
    counters = {
        c.unit_id: c
        for c in DocumentCounter.objects.select_for_update(of=("self",), no_key=True).filter(
            fiscal_year=fy,
            unit_id__in=list(set(change.successors) | set(change.successors.values())),
        )
    }
    carried: dict[int, int] = {}
    for old, new in change.successors.items():
        if old in counters:
            carried[new] = max(carried.get(new, 0), counters[old].last_number)
    rows = []
    for unit_id, last in carried.items():
        counter = counters.get(unit_id)
        if counter is None:
            counter = DocumentCounter.objects.create(unit_id=unit_id, fiscal_year=fy)
        if last > counter.last_number:
            rows.append({"unit": OrgUnit.objects.get(pk=unit_id).name, "from": last + 1})
            counter.last_number = last
            counter.save(update_fields=["last_number"])
    return rows


def _rules_without_units(change) -> list[dict[str, Any]]:
    """合議 rules in force on the date (and later ones) that name no active unit any more."""
    try:
        current = ruleset_in_force(on=change.effective_on)
    except Exception:
        return []
    active = set(OrgUnit.objects.filter(is_active=True).values_list("name", flat=True))
    rules = ConsultationRule.objects.filter(
        ruleset__effective_on__gte=current.effective_on
    ).select_related("ruleset", "category")
    return [
        {
            "ruleset": rule.ruleset.version,
            "category": str(rule.category),
            "unit": rule.unit_name,
        }
        for rule in rules
        if rule.unit_name not in active
    ]
