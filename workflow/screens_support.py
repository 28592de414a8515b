"""Reads the HTML screens need that the engine's selectors do not offer yet (pure reads).

Candidates to move: ``proposals_drafted_by``, ``post_review_states`` and ``usernames_of`` to
``workflow/selectors.py``; ``delegations_of`` and ``colleagues_in_department`` to
``directory/selectors.py``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import QuerySet

from directory.models import HEAD_MIN_RANK, Assignment, Delegation, OrgUnit, Person
from directory.selectors import person_primary_post, unit_at_level
from workflow import selectors
from workflow.disposal_models import DisposalProposalBinder
from workflow.proposals_models import PostReview, Proposal, ProposalStep


def proposals_drafted_by(*, user: Any, person: Person) -> QuerySet[Proposal]:
    """The proposals ``person`` drafted, as visible to ``user`` (newest first)."""
    return (
        selectors.proposal_list_visible(user=user)
        .filter(drafter=person)
        .order_by("-updated_at", "-id")
    )


def post_review_states(steps: list[ProposalStep]) -> dict[int, datetime | None]:
    """Step id → when its 後閲 item was acknowledged (None: not yet), for steps that have one."""
    items = PostReview.objects.filter(step__in=[s.pk for s in steps]).values_list(
        "step_id", "acknowledged_at"
    )
    return dict(items)


def usernames_of(person_ids: list[int]) -> list[str]:
    """User names of people by id, in the given order (a circulation's recipients)."""
    names = dict(Person.objects.filter(pk__in=person_ids).values_list("pk", "user__username"))
    return [names[pk] for pk in person_ids if pk in names]


def delegations_of(person: Person) -> tuple[QuerySet[Delegation], QuerySet[Delegation]]:
    """(given, received) delegations of ``person``, newest period first, revoked ones included."""
    base = Delegation.objects.select_related("principal__user", "deputy__user").order_by(
        "-start_at", "-id"
    )
    return base.filter(principal=person), base.filter(deputy=person)


def colleagues_in_department(person: Person) -> list[Assignment]:
    """Active people posted in the 部 of ``person``'s primary post (or its own unit), but them."""
    post = person_primary_post(person)
    if post is None:
        return []
    top = unit_at_level(post.unit, OrgUnit.Level.DEPARTMENT) or post.unit
    units = {top.pk}
    # The org chart is small (a few hundred units): one query, walked in memory.
    children: dict[int | None, list[int]] = {}
    for pk, parent_id in OrgUnit.objects.filter(is_active=True).values_list("pk", "parent_id"):
        children.setdefault(parent_id, []).append(pk)
    frontier = [top.pk]
    while frontier:
        frontier = [c for pk in frontier for c in children.get(pk, []) if c not in units]
        units.update(frontier)
    posts = (
        Assignment.objects.filter(unit__in=units, person__is_active=True)
        .exclude(person=person)
        .select_related("person__user", "unit", "position")
        .order_by("unit__level", "unit__sort_order", "unit_id", "-position__rank", "person_id")
    )
    seen: set[int] = set()
    result = []
    for assignment in posts:
        if assignment.person_id not in seen:
            seen.add(assignment.person_id)
            result.append(assignment)
    return result


def binders_on_open_disposals(binder_ids: list[int]) -> set[int]:
    """Which of these binders are on a disposal proposal still open (draft, in review,
    returned) or approved and not carried out yet: ``disposal_propose`` refuses them (409)."""
    open_statuses = (Proposal.Status.DRAFT, Proposal.Status.IN_REVIEW, Proposal.Status.RETURNED)
    links = DisposalProposalBinder.objects.filter(binder_id__in=binder_ids)
    pending = links.filter(proposal__status__in=open_statuses) | links.filter(
        proposal__status=Proposal.Status.APPROVED,
        outcome=DisposalProposalBinder.Outcome.PROPOSED,
    )
    return set(pending.values_list("binder_id", flat=True))


def division_heads(*, exclude: Person | None = None) -> list[Assignment]:
    """The head of each active 課 (its highest-ranked active member at or above 係長), in chart
    order: the parties a drafter may add for 合議. One query, however many 課."""
    posts = (
        Assignment.objects.filter(
            unit__level=OrgUnit.Level.DIVISION,
            unit__is_active=True,
            person__is_active=True,
            position__rank__gte=HEAD_MIN_RANK,
        )
        .select_related("person__user", "unit__parent", "position")
        .order_by(
            "unit__parent__sort_order",
            "unit__parent_id",
            "unit__sort_order",
            "unit_id",
            # as directory.selectors.unit_head: highest rank, primary post, then id
            "-position__rank",
            "-is_primary",
            "person_id",
        )
    )
    heads: dict[int, Assignment] = {}
    for post in posts:
        heads.setdefault(post.unit_id, post)
    return [post for post in heads.values() if exclude is None or post.person_id != exclude.pk]
