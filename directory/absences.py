"""Absences (不在) and the 代決 they set up: a person (or the head of their 課) registers a period
away with a deputy; the deputy then acts for them automatically for that period (a delegation
made with the absence), and the absent person reviews afterwards (後閲).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from audit.exceptions import PermissionRefused, ValidationFailed
from audit.services import record
from audit.transactions import atomic_service
from directory.models import Absence, Delegation, Person
from directory.selectors import may_manage_absences_of, person_for_user
from directory.services import delegation_create, delegation_revoke

NOTE_MAX_LENGTH = 200


def _staff(actor: Any) -> Person:
    person = person_for_user(actor)
    if person is None or not person.is_active:
        raise PermissionRefused(_("Only staff of the directory can register absences."))
    return person


@atomic_service
def absence_register(
    *,
    actor: Any,
    person: Person,
    start_at: datetime,
    end_at: datetime,
    note: str = "",
    deputy_username: str = "",
) -> Absence:
    """Register ``person``'s absence; with a deputy, a delegation for the same period. Raises
    PermissionRefused unless the actor is the person or the head of their 課, ValidationFailed
    for a bad period or deputy (see ``delegation_create``)."""
    acting = _staff(actor)
    if not may_manage_absences_of(acting, person):
        raise PermissionRefused(_("Only the person or the head of their division can do this."))
    if end_at <= start_at:
        raise ValidationFailed(_("The end must be after the start."))
    delegation: Delegation | None = None
    if deputy_username.strip():
        delegation = delegation_create(
            actor=actor,
            deputy_username=deputy_username.strip(),
            start_at=start_at,
            end_at=end_at,
            principal=person,
        )
    absence = Absence.objects.create(
        person=person,
        start_at=start_at,
        end_at=end_at,
        note=note.strip()[:NOTE_MAX_LENGTH],
        delegation=delegation,
        registered_by=acting,
    )
    record(
        action="directory.absence_registered",
        actor=actor,
        target=absence,
        details={
            "person": person.username,
            "start_at": start_at.isoformat(),
            "end_at": end_at.isoformat(),
            "deputy": delegation.deputy.username if delegation else None,
        },
    )
    return absence


@atomic_service
def absence_cancel(*, actor: Any, absence: Absence) -> None:
    """Withdraw a registered absence; its delegation ends now (what the deputy did stays)."""
    acting = _staff(actor)
    absence = Absence.objects.select_related("person", "delegation").get(pk=absence.pk)
    if not may_manage_absences_of(acting, absence.person):
        raise PermissionRefused(_("Only the person or the head of their division can do this."))
    if absence.delegation is not None and not absence.delegation.is_revoked:
        delegation_revoke(actor=actor, delegation=absence.delegation)
    record(
        action="directory.absence_cancelled",
        actor=actor,
        target=absence,
        details={"person": absence.person.username},
    )
    absence.delete()


def absences_visible(person: Person, members: list[Person]) -> QuerySet[Absence]:
    """The person's absences and those of the 課 members they head, latest first."""
    return (
        Absence.objects.filter(person__in=[person, *members])
        .select_related("person", "delegation__deputy", "registered_by")
        .order_by("-start_at", "-id")
    )
