"""Who is who in the council module: pure predicates (one small query each, cached per user).

The secretariat (議会事務局) are directory people with a post in the unit named by
``KAIRAN_COUNCIL_SECRETARIAT_UNIT`` or in one of its sub-units. Councilors are local people of
kind ``councilor`` with an active ``Councilor`` profile. Named executives (市長, 部長… — directory
staff named as readers of a material, audience ``person:<username>``) use the module only while at
least one material addressed to them is published, and see only those. Nobody else sees the
council module; administrators get no special view (annotations are the owner's only).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from council.models import Councilor
from directory.models import Assignment, OrgUnit, Person

_CACHE_ATTR = "_kairan_council_roles"


def secretariat_unit_ids() -> set[int]:
    """The secretariat unit(s) by name and every unit below them."""
    name = getattr(settings, "COUNCIL_SECRETARIAT_UNIT", "議会事務局")
    ids = set(OrgUnit.objects.filter(name=name, is_active=True).values_list("pk", flat=True))
    frontier = set(ids)
    for _depth in range(5):  # 部 > 課 > 係 is three levels; bounded anyway
        if not frontier:
            break
        frontier = (
            set(
                OrgUnit.objects.filter(parent_id__in=frontier, is_active=True).values_list(
                    "pk", flat=True
                )
            )
            - ids
        )
        ids |= frontier
    return ids


def _roles(user: Any) -> dict[str, Any]:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return {"secretariat": False, "councilor": None, "staff_person_id": None}
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    person = Person.objects.filter(user=user, is_active=True).first()
    secretariat = (
        person is not None
        and person.kind == Person.Kind.STAFF
        and Assignment.objects.filter(person=person, unit_id__in=secretariat_unit_ids()).exists()
    )
    councilor = None
    if person is not None and person.kind == Person.Kind.COUNCILOR:
        councilor = Councilor.objects.filter(person=person, is_active=True).first()
    staff_person_id = person.pk if person is not None and person.kind == Person.Kind.STAFF else None
    roles = {"secretariat": secretariat, "councilor": councilor, "staff_person_id": staff_person_id}
    setattr(user, _CACHE_ATTR, roles)
    return roles


def forget_roles(user: Any) -> None:
    """Drop the per-user cache (after a change of posts or committees)."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def is_secretariat(user: Any) -> bool:
    return bool(_roles(user)["secretariat"])


def councilor_for(user: Any) -> Councilor | None:
    return _roles(user)["councilor"]


def is_councilor(user: Any) -> bool:
    return councilor_for(user) is not None


def named_reader_id(user: Any) -> int | None:
    """The ``Person`` id of a member of staff outside the secretariat (a possible named
    executive); None for everyone else."""
    roles = _roles(user)
    return None if roles["secretariat"] else roles["staff_person_id"]


def is_named_reader(user: Any) -> bool:
    """A named executive with at least one material published to them now."""
    person_id = named_reader_id(user)
    if person_id is None:
        return False
    from django.utils import timezone

    from council.models import Material

    return Material.objects.filter(
        audience=Material.Audience.PEOPLE,
        readers=person_id,
        publish_at__lte=timezone.now(),
        current_version__isnull=False,
    ).exists()


def may_use_council(user: Any) -> bool:
    return is_secretariat(user) or is_councilor(user) or is_named_reader(user)


def can_manage(user: Any) -> bool:
    """Create meetings, upload and replace materials, read 既読 status, reset TOTP devices."""
    return is_secretariat(user)


def can_present(user: Any) -> bool:
    """Turn pages for everyone: the secretariat or the chair (議長)."""
    councilor = councilor_for(user)
    return is_secretariat(user) or (
        councilor is not None and councilor.role == Councilor.Role.CHAIR
    )
