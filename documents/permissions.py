"""Who may do what with records. Pure predicates over a user and the units they belong to.

Membership of a 課 counts its sub-units: a member of 財政係 belongs to 財政課 for records.
"""

from __future__ import annotations

from typing import Any

from audit.permissions import can_view_audit_log
from directory.models import OrgUnit, Person
from documents.models import Binder, Document

PERM_LEGAL_HOLD = "documents.set_legal_hold"
PERM_TRANSFER = "documents.transfer_binder"


def _active(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def member_unit_ids(user: Any) -> set[int]:
    """Ids of the units a user's posts are in, with all the units above them."""
    if not _active(user):
        return set()
    person = Person.objects.filter(user=user, is_active=True).first()
    if person is None:
        return set()
    ids: set[int] = set()
    # 部 > 課 > 係 is three levels; deeper charts cost one query per extra level.
    for post in person.assignments.select_related("unit__parent__parent__parent"):
        unit: OrgUnit | None = post.unit
        seen: set[int] = set()
        while unit is not None and unit.pk not in seen:
            ids.add(unit.pk)
            seen.add(unit.pk)
            unit = unit.parent
    return ids


def is_staff_member(user: Any) -> bool:
    """Directory staff and administrators (not councilors); auditors count too."""
    if not _active(user):
        return False
    if can_view_audit_log(user) or user.is_superuser:
        return True
    return Person.objects.filter(
        user=user, is_active=True, kind__in=[Person.Kind.STAFF, Person.Kind.ADMIN]
    ).exists()


def is_unit_member(user: Any, unit_id: int) -> bool:
    return unit_id in member_unit_ids(user)


def can_add_version(user: Any, document: Document) -> bool:
    """Members of the owning 課 (and its 係) may add versions."""
    return is_unit_member(user, document.unit_id)


def can_file_into_binder(user: Any, binder: Binder) -> bool:
    return binder.status == Binder.Status.OPEN and is_unit_member(user, binder.unit_id)


def can_manage_binders(user: Any, unit_id: int) -> bool:
    """Create, close and reclassify binders of a 課: its members."""
    return is_unit_member(user, unit_id)


def can_set_legal_hold(user: Any) -> bool:
    return _active(user) and user.has_perm(PERM_LEGAL_HOLD)


def can_transfer_binder(user: Any, binder: Binder) -> bool:
    return _active(user) and (user.has_perm(PERM_TRANSFER) or is_unit_member(user, binder.unit_id))


def can_dispose_binder(user: Any, binder: Binder) -> bool:
    """Carrying out an approved disposal: a member of the 課 (the approval is checked apart)."""
    return is_unit_member(user, binder.unit_id)
