"""Org-chart reads of the HTML screens that ``directory.selectors`` does not offer yet (pure
reads): candidates to move there. The workflow's own reads are in ``workflow/selectors.py``.
"""

from __future__ import annotations

from django.db.models import QuerySet

from directory.models import HEAD_MIN_RANK, Assignment, Delegation, OrgUnit, Person
from directory.selectors import person_primary_post, unit_at_level


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
