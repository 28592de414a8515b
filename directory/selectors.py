"""Reads of the org chart: heads, chains of units, title holders, who may act for whom."""

from __future__ import annotations

import unicodedata
from datetime import datetime

from django.db.models import Q, QuerySet
from django.utils import timezone

from directory.models import HEAD_MIN_RANK, Assignment, Delegation, OrgUnit, Person

# Set on a user object by whoever read its person with it in this request (the API's token
# authentication), so that ``person_for_user`` need not ask again. Only on objects of one request.
_PERSON_OF_REQUEST = "_kairan_person_of_request"


def remember_person(user, person: Person | None) -> None:
    """``person`` (or None) was read together with ``user`` for this request."""
    setattr(user, _PERSON_OF_REQUEST, person)


def person_for_user(user) -> Person | None:
    """The person behind a signed-in user, or None (e.g. a bare superuser)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    if hasattr(user, _PERSON_OF_REQUEST):
        return getattr(user, _PERSON_OF_REQUEST)
    return Person.objects.filter(user=user).first()


def person_primary_post(person: Person) -> Assignment | None:
    return person.assignments.select_related("unit", "position").filter(is_primary=True).first()


def person_posts(person: Person) -> list[Assignment]:
    """All posts of a person, primary first, then 兼務."""
    return list(person.assignments.select_related("unit", "position").order_by("-is_primary", "id"))


def unit_members(unit: OrgUnit) -> QuerySet[Assignment]:
    """Active people posted to the unit (primary or concurrent), highest rank first."""
    return (
        Assignment.objects.filter(unit=unit, person__is_active=True)
        .select_related("person", "person__user", "position")
        .order_by("-position__rank", "-is_primary", "person_id")
    )


def unit_head(unit: OrgUnit) -> Person | None:
    """The member with the highest rank at or above 係長, or None (a vacancy)."""
    post = unit_members(unit).filter(position__rank__gte=HEAD_MIN_RANK).first()
    return post.person if post else None


def unit_heads(unit_ids: list[int]) -> dict[int, Person]:
    """``unit_head`` of many units in one query: {unit id: head}; vacant units are left out."""
    heads: dict[int, Person] = {}
    ids = sorted(set(unit_ids))
    for start in range(0, len(ids), 500):
        posts = (
            Assignment.objects.filter(
                unit_id__in=ids[start : start + 500],
                person__is_active=True,
                position__rank__gte=HEAD_MIN_RANK,
            )
            .select_related("person", "person__user")
            .order_by("unit_id", "-position__rank", "-is_primary", "person_id")
        )
        for post in posts:
            heads.setdefault(post.unit_id, post.person)
    return heads


def unit_ancestors(unit: OrgUnit) -> list[OrgUnit]:
    """The unit and the units above it, nearest first (係, 課, 部)."""
    chain: list[OrgUnit] = []
    seen: set[int] = set()
    current: OrgUnit | None = unit
    while current is not None and current.pk not in seen:
        chain.append(current)
        seen.add(current.pk)
        current = current.parent
    return chain


def unit_at_level(unit: OrgUnit, level: int) -> OrgUnit | None:
    """The unit itself or its ancestor at ``level`` (e.g. the 課 of a 係), or None."""
    return next((u for u in unit_ancestors(unit) if u.level == level), None)


def person_unit_chain(person: Person) -> list[OrgUnit]:
    """The chain of units above a person's primary post, nearest first; empty without a post."""
    post = person_primary_post(person)
    return unit_ancestors(post.unit) if post else []


def persons_with_title(title: str) -> QuerySet[Person]:
    """Active holders of a title wherever they sit (市長, 副市長), by rank then id."""
    return (
        Person.objects.filter(is_active=True, assignments__position__title=title)
        .distinct()
        .order_by("id")
    )


def delegations_active(at: datetime | None = None) -> QuerySet[Delegation]:
    at = at or timezone.now()
    return Delegation.objects.filter(
        is_revoked=False,
        start_at__lte=at,
        end_at__gt=at,
        principal__is_active=True,
        deputy__is_active=True,
    ).select_related("principal", "deputy")


def principals_for_deputy(deputy: Person, at: datetime | None = None) -> list[Person]:
    """The people the deputy may act for (代決) at ``at`` (default: now)."""
    return [d.principal for d in delegations_active(at).filter(deputy=deputy)]


def deputies_for(principal: Person, at: datetime | None = None) -> list[Person]:
    return [d.deputy for d in delegations_active(at).filter(principal=principal)]


def deputy_ids_for(principal_id: int, at: datetime | None = None) -> list[int]:
    """The ids of the people who may act for ``principal_id`` now (one query, no rows built)."""
    return list(
        delegations_active(at).filter(principal_id=principal_id).values_list("deputy_id", flat=True)
    )


def may_act_for(deputy: Person, principal: Person, at: datetime | None = None) -> bool:
    return delegations_active(at).filter(deputy=deputy, principal=principal).exists()


def person_is_absent(person: Person, at: datetime | None = None) -> bool:
    at = at or timezone.now()
    return person.absences.filter(Q(start_at__lte=at) & Q(end_at__gt=at)).exists()


# --- pickers of the approval screens (delegation deputies, optional reviewers) ---------------


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


def org_chart() -> list[dict]:
    """The active org tree in order (部, its 課, their 係), each with its head and member count.

    Three queries whatever the size: units, heads (``unit_heads``), member counts.
    """
    from django.db.models import Count

    units = list(OrgUnit.objects.filter(is_active=True))
    by_parent: dict[int | None, list[OrgUnit]] = {}
    ids = {u.pk for u in units}
    for unit in units:
        parent = unit.parent_id if unit.parent_id in ids else None
        by_parent.setdefault(parent, []).append(unit)
    heads = unit_heads([u.pk for u in units])
    counts = dict(
        Assignment.objects.filter(unit_id__in=list(ids), person__is_active=True)
        .values("unit_id")
        .annotate(n=Count("id"))
        .values_list("unit_id", "n")
    )
    rows: list[dict] = []

    def walk(parent: int | None, depth: int, path: str) -> None:
        for unit in sorted(by_parent.get(parent, []), key=lambda u: (u.sort_order, u.name, u.pk)):
            here = f"{path}/{unit.name}" if path else unit.name
            head = heads.get(unit.pk)
            rows.append(
                {
                    "unit": unit,
                    "depth": depth,
                    "path": here,
                    "head": head,
                    "head_name": head.display_name if head else "",
                    "members": counts.get(unit.pk, 0),
                }
            )
            walk(unit.pk, depth + 1, here)

    walk(None, 0, "")
    return rows


STAFF_MATCH_LIMIT = 20


def staff_matching(text: str, *, limit: int = STAFF_MATCH_LIMIT) -> list[Person]:
    """Active staff (a person with a post) whose name holds every word of ``text`` (「近藤」,
    「近藤 一」; width and case folded) or whose user name starts with it; by name."""
    words = unicodedata.normalize("NFKC", text or "").split()
    if not words:
        return []
    staff = Person.objects.filter(
        is_active=True, user__is_active=True, assignments__isnull=False
    ).select_related("user")
    by_name = Q()
    for word in words:
        by_name &= Q(display_name__icontains=word)
    matches = staff.filter(by_name | Q(user__username__istartswith=words[0])).distinct()
    return list(matches.order_by("display_name", "pk")[:limit])


def division_of_person(person: Person) -> OrgUnit | None:
    """The 課 of the person's primary post (their own unit if it is a 課)."""
    post = person_primary_post(person)
    return unit_at_level(post.unit, OrgUnit.Level.DIVISION) if post else None


def may_manage_absences_of(actor: Person, person: Person) -> bool:
    """The person themselves, or the head (課長) of the person's 課."""
    if actor.pk == person.pk:
        return True
    division = division_of_person(person)
    return division is not None and unit_head(division) == actor


def division_members_for_head(head: Person) -> list[Person]:
    """The active people of the 課 ``head`` heads (empty for anyone who heads none)."""
    division = division_of_person(head)
    if division is None or unit_head(division) != head:
        return []
    unit_ids = [division.pk, *OrgUnit.objects.filter(parent=division).values_list("pk", flat=True)]
    return list(
        Person.objects.filter(
            is_active=True, assignments__unit_id__in=unit_ids, assignments__is_primary=True
        )
        .exclude(pk=head.pk)
        .distinct()
        .order_by("display_name")
    )
