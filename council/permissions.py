"""Who is who in the council module: pure predicates (one small query each, cached per user).

The secretariat (議会事務局) are directory people with a post in the unit named by
``KAIRAN_COUNCIL_SECRETARIAT_UNIT`` or in one of its sub-units. Councilors are local people of
kind ``councilor`` with an active ``Councilor`` profile. Nobody else sees the council module;
administrators get no special view (annotations in particular are the owner's only).
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
        return {"secretariat": False, "councilor": None}
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
    roles = {"secretariat": secretariat, "councilor": councilor}
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


def may_use_council(user: Any) -> bool:
    return is_secretariat(user) or is_councilor(user)


def can_manage(user: Any) -> bool:
    """Create meetings, upload and replace materials, read 既読 status, reset TOTP devices."""
    return is_secretariat(user)


def can_present(user: Any) -> bool:
    """Turn pages for everyone: the secretariat or the chair (議長)."""
    councilor = councilor_for(user)
    return is_secretariat(user) or (
        councilor is not None and councilor.role == Councilor.Role.CHAIR
    )
