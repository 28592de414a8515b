"""Writes about people of the council: councilors' accounts and committees, TOTP device reset.

Re-exported by ``council.services``; same rules (keyword-only, permission first, audited).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _

from audit import services as audit
from audit.exceptions import PermissionRefused, ValidationFailed
from audit.transactions import atomic_service
from council import permissions
from council.models import Committee, Councilor
from directory.models import Person, Source


@atomic_service
def councilor_upsert(
    *,
    username: str,
    name: str,
    password: str | None = None,
    committees: list[str] | None = None,
    role: str | None = None,
    actor: Any = None,
) -> tuple[Councilor, bool]:
    """Create or update a councilor's local account, profile and committees (created as needed).

    Idempotent: the same arguments twice change nothing the second time. Raises
    ValidationFailed (400) for an empty username or name, or a username that belongs to staff.
    """
    username = (username or "").strip()
    name = (name or "").strip()
    if not username or not name:
        raise ValidationFailed(_("A councilor needs a username and a name."))
    if role is not None and role not in Councilor.Role.values:
        raise ValidationFailed(_("Unknown role."))
    user_model = get_user_model()
    user, user_created = user_model.objects.get_or_create(username=username)
    person = Person.objects.filter(user=user).first()
    if person is not None and person.kind != Person.Kind.COUNCILOR:
        raise ValidationFailed(_("This username belongs to someone who is not a councilor."))
    changed: list[str] = []
    if password:
        if user_created or not user.check_password(password):
            user.set_password(password)
            user.save(update_fields=["password"])
            changed.append("password")
    elif user_created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    if not user.is_active:
        user.is_active = True
        user.save(update_fields=["is_active"])
        changed.append("active")
    if person is None:
        person = Person.objects.create(
            user=user, display_name=name, kind=Person.Kind.COUNCILOR, source=Source.LOCAL
        )
    elif person.display_name != name or not person.is_active:
        person.display_name, person.is_active = name, True
        person.save(update_fields=["display_name", "is_active"])
        changed.append("name")
    councilor, created = Councilor.objects.get_or_create(
        person=person, defaults={"role": role or Councilor.Role.MEMBER}
    )
    if not created and role is not None and councilor.role != role:
        councilor.role = role
        councilor.save(update_fields=["role"])
        changed.append("role")
    if not councilor.is_active:
        councilor.is_active = True
        councilor.save(update_fields=["is_active"])
    if committees is not None:
        wanted = []
        for committee_name in dict.fromkeys(c.strip() for c in committees if c and c.strip()):
            committee, committee_created = Committee.objects.get_or_create(name=committee_name)
            if committee_created:
                audit.record(action="council.committee_created", actor=actor, target=committee)
            wanted.append(committee)
        current = set(councilor.committees.values_list("pk", flat=True))
        if current != {c.pk for c in wanted}:
            councilor.committees.set(wanted)
            changed.append("committees")
    if created or changed:
        audit.record(
            action="council.councilor_created" if created else "council.councilor_updated",
            actor=actor,
            target=user,
            details={
                "username": username,
                "changed": changed,
                "committees": sorted(councilor.committees.values_list("name", flat=True)),
                "role": councilor.role,
            },
        )
    return councilor, created


@atomic_service
def totp_reset(*, actor: Any, councilor: Councilor, request: Any = None) -> int:
    """Remove a councilor's TOTP devices (lost tablet); secretariat only (403). Audited."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    if not permissions.can_manage(actor):
        raise PermissionRefused(_("Only the council secretariat may reset a device."))
    deleted, _details = TOTPDevice.objects.filter(user=councilor.person.user).delete()
    audit.record(
        action="council.totp_reset",
        actor=actor,
        target=councilor.person.user,
        details={"devices": deleted},
        request=request,
    )
    return deleted
