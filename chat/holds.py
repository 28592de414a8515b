"""Legal holds on chat (訴訟・開示請求のための保全): auditors place a hold on the messages of a
room and/or a person in a period; the retention purge never deletes a held message, the export
marks it, and releasing the hold lets retention apply again. Placing and releasing are audited.

A hold matches by its criteria (room; the person's own messages and those of the rooms they
are in; ``start`` ≤ sent < ``end``), not by a list of ids, so what is sent later inside an open
period is held as well. ``Message.is_on_hold`` (a flag set per message in the admin) keeps
working beside it.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.exceptions import Conflict, NotFound, PermissionRefused, ValidationFailed
from audit.services import record
from audit.transactions import atomic_service
from audit.validators import validate_title
from chat.models import LegalHold, Message, Room, RoomMember
from chat.permissions import can_manage_records


def hold_q(hold: LegalHold) -> Q:
    """The messages one hold keeps."""
    q = Q()
    if hold.room_id is not None:
        q &= Q(room_id=hold.room_id)
    if hold.person_id is not None:
        rooms = RoomMember.objects.filter(user_id=hold.person_id).values("room_id")
        q &= Q(sender_id=hold.person_id) | Q(room_id__in=rooms)
    if hold.start is not None:
        q &= Q(sent_at__gte=hold.start)
    if hold.end is not None:
        q &= Q(sent_at__lt=hold.end)
    return q


def legal_holds_active() -> QuerySet[LegalHold]:
    return LegalHold.objects.filter(released_at__isnull=True).select_related(
        "room", "person__person", "placed_by__person"
    )


def held_q() -> Q:
    """Every message kept by a hold: its own flag, or any active hold's criteria."""
    q = Q(is_on_hold=True)
    for hold in legal_holds_active():
        q |= hold_q(hold)
    return q


def held_message_ids(messages: QuerySet[Message]) -> set[int]:
    """Which of ``messages`` are held (one query)."""
    return set(messages.filter(held_q()).values_list("pk", flat=True))


def _require_records_manager(actor: Any) -> None:
    if not can_manage_records(actor):
        raise PermissionRefused(_("Only auditors may manage legal holds."))


@atomic_service
def legal_hold_place(
    *,
    actor: Any,
    reason: str,
    room_id: int | None = None,
    username: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> LegalHold:
    """Hold the messages of a room and/or a person in a period (either bound may be open).
    Auditors only (403); a room or a person must be named and the reason given (400)."""
    _require_records_manager(actor)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("Give the reason for the hold."))
    validate_title(reason)
    if room_id is None and not username:
        raise ValidationFailed(_("Name a room or a person."))
    if start is not None and end is not None and end <= start:
        raise ValidationFailed(_("The end of the period must come after its start."))
    room = None
    if room_id is not None:
        room = Room.objects.filter(pk=room_id).first()
        if room is None:
            raise NotFound(_("No such room."))
    person = None
    if username:
        person = get_user_model().objects.filter(username=username).first()
        if person is None:
            raise ValidationFailed(_("Unknown person: %(name)s") % {"name": username})
    hold = LegalHold.objects.create(
        room=room,
        person=person,
        start=start,
        end=end,
        reason=reason[:200],
        placed_by=actor,
    )
    held = Message.objects.filter(hold_q(hold)).count()
    record(
        action="chat.legal_hold_placed",
        actor=actor,
        target=hold,
        details={
            "room": room_id,
            "person": username or None,
            "from": start.isoformat() if start else None,
            "to": end.isoformat() if end else None,
            "reason": hold.reason,
            "messages": held,
        },
    )
    return hold


@atomic_service
def legal_hold_release(*, actor: Any, hold_id: int) -> LegalHold:
    """End a hold (auditors; 409 when it was already released). Retention applies again to
    messages no other hold keeps."""
    _require_records_manager(actor)
    hold = LegalHold.objects.select_for_update(of=("self",), no_key=True).filter(pk=hold_id).first()
    if hold is None:
        raise NotFound(_("No such legal hold."))
    if hold.released_at is not None:
        raise Conflict(_("This legal hold has already been released."))
    hold.released_at = timezone.now()
    hold.released_by = actor
    hold.save(update_fields=["released_at", "released_by"])
    record(
        action="chat.legal_hold_released",
        actor=actor,
        target=hold,
        details={"reason": hold.reason},
    )
    return hold


def legal_holds_for(*, user: Any) -> list[dict[str, Any]]:
    """Active holds with the number of messages each keeps now, then the released ones (the
    latest 50). Auditors only."""
    _require_records_manager(user)
    active = [
        {"hold": h, "messages": Message.objects.filter(hold_q(h)).count(), "until": _until(h)}
        for h in legal_holds_active().order_by("-placed_at", "-id")
    ]
    released = (
        LegalHold.objects.filter(released_at__isnull=False)
        .select_related("room", "person__person", "placed_by__person", "released_by__person")
        .order_by("-released_at", "-id")[:50]
    )
    return [*active, *({"hold": h, "messages": None, "until": _until(h)} for h in released)]


def _until(hold: LegalHold) -> date | None:
    """The last day a hold covers (its ``end`` is the start of the day after)."""
    if hold.end is None:
        return None
    return timezone.localtime(hold.end - timedelta(microseconds=1)).date()


def rooms_for_records() -> QuerySet[Room]:
    """Unit and group rooms with their message counts, for the auditors' pickers (direct
    rooms are reached by person)."""
    return (
        Room.objects.filter(kind__in=[Room.Kind.UNIT, Room.Kind.GROUP])
        .annotate(message_count=Count("messages"))
        .order_by("kind", "name", "id")
    )


def people_for_records(limit: int = 5000) -> list[tuple[str, str]]:
    """(user name, name) of the active people, for the person field's suggestions."""
    from directory.models import Person

    rows = (
        Person.objects.filter(is_active=True, user__isnull=False)
        .order_by("display_name")
        .values_list("user__username", "display_name")[:limit]
    )
    return list(rows)
