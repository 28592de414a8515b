"""必読 (must-read) follow-up: per 課, who has not read each must-read message yet, and a
reminder to them. Reads and one write, kept apart from services.py for size."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.utils.translation import gettext as _

from audit.exceptions import NotFound, PermissionRefused
from audit.services import record
from audit.transactions import atomic_service
from chat import permissions
from chat.models import Message, Receipt, RoomMember
from chat.selectors import display_name
from directory.models import Assignment, OrgUnit

MAX_MESSAGES = 50


def _division_of(unit: OrgUnit | None, units: dict[int, OrgUnit]) -> str:
    """The 課 a unit belongs to (a 係's parent); a 部 or 課 is itself."""
    if unit is None:
        return _("No unit")
    if unit.level == OrgUnit.Level.SECTION and unit.parent_id in units:
        return units[unit.parent_id].name
    return unit.name


def mandatory_status_for(*, user: Any) -> list[dict[str, Any]]:
    """The must-read messages of the rooms ``user`` belongs to (newest 50), each with its readers
    counted and, per 課, the members who have not read it yet. For 係長 and above only
    (PermissionRefused otherwise)."""
    if not permissions.can_mark_mandatory(user):
        raise PermissionRefused(_("Only a 係長 or above may see the must-read status."))
    messages = list(
        Message.objects.filter(
            is_mandatory=True, deleted_at__isnull=True, room__memberships__user=user
        )
        .select_related("room", "sender__person")
        .order_by("-id")[:MAX_MESSAGES]
    )
    if not messages:
        return []
    room_ids = {m.room_id for m in messages}
    members: dict[int, list[Any]] = defaultdict(list)
    for rm in RoomMember.objects.filter(room_id__in=room_ids).select_related("user__person"):
        members[rm.room_id].append(rm.user)
    user_ids = {u.pk for us in members.values() for u in us}
    units = {u.pk: u for u in OrgUnit.objects.all()}
    primary = {
        a.person.user_id: units.get(a.unit_id)
        for a in Assignment.objects.filter(person__user_id__in=user_ids, is_primary=True)
        .select_related("person")
        .only("unit_id", "person__user_id")
    }
    read: dict[int, set[int]] = defaultdict(set)
    for mid, uid in Receipt.objects.filter(message__in=messages).values_list(
        "message_id", "user_id"
    ):
        read[mid].add(uid)
    out = []
    for m in messages:
        audience = [u for u in members[m.room_id] if u.pk != m.sender_id]
        unread_by_division: dict[str, list[str]] = defaultdict(list)
        for u in audience:
            if u.pk not in read[m.pk]:
                unread_by_division[_division_of(primary.get(u.pk), units)].append(display_name(u))
        out.append(
            {
                "message": m,
                "room": m.room,
                "sender": display_name(m.sender),
                "total": len(audience),
                "read": len([u for u in audience if u.pk in read[m.pk]]),
                "unread": sorted(
                    (division, sorted(names)) for division, names in unread_by_division.items()
                ),
            }
        )
    return out


@atomic_service
def mandatory_remind(*, actor: Any, message_id: int) -> int:
    """Send an in-app reminder to every member who has not read a must-read message; returns how
    many. 係長 and above who are members of the room only."""
    from directory.models import Person
    from directory.notifications import notification_create

    if not permissions.can_mark_mandatory(actor):
        raise PermissionRefused(_("Only a 係長 or above may send reminders."))
    message = (
        Message.objects.filter(pk=message_id, is_mandatory=True, room__memberships__user=actor)
        .select_related("room")
        .first()
    )
    if message is None:
        raise NotFound(_("No such message."))
    readers: set[int] = set(
        Receipt.objects.filter(message=message).values_list("user_id", flat=True)
    )
    if message.sender_id is not None:
        readers.add(message.sender_id)
    people = (
        Person.objects.filter(user__chat_memberships__room=message.room, is_active=True)
        .exclude(user_id__in=readers)
        .select_related("user")
    )
    count = 0
    for person in people:
        notification_create(
            recipient=person,
            kind="chat_must_read",
            title=_("Please read the must-read message in %(room)s") % {"room": message.room.name},
            body=message.text[:200],
            url=f"/chat/rooms/{message.room_id}/#m{message.pk}",
        )
        count += 1
    record(
        action="chat.mandatory_reminded",
        actor=actor,
        target=message,
        details={"recipients": count},
    )
    return count
