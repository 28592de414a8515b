"""Unit rooms follow the org chart: one room per active org unit holding the active people with
a post there (primary or 兼務).

``unit_rooms_sync`` runs inside the directory sync's transaction (connected to
``directory.signals.directory_changed`` in ``ChatConfig.ready``), so a person moved by a
人事異動 leaves the old room and joins the new one in the same commit as the move, and a
person deactivated leaves every unit room. Group and direct rooms are left alone, except that
a deactivated user is removed from every room.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.contrib.auth import get_user_model

from audit.services import record
from audit.transactions import atomic_service
from chat.events import room_payload
from chat.models import Room, RoomMember
from directory.models import Assignment, OrgUnit
from realtime.services import Outgoing, publish, user_stream_key


@atomic_service
def unit_rooms_sync(*, actor: Any = None) -> dict[str, int]:
    """Make unit rooms and their members match the org chart; returns counts of changes."""
    counts = {"rooms_created": 0, "joined": 0, "left": 0}
    units = {u.pk: u for u in OrgUnit.objects.filter(is_active=True)}
    rooms = {r.unit_id: r for r in Room.objects.filter(kind=Room.Kind.UNIT)}
    new_rooms = [
        Room(kind=Room.Kind.UNIT, name=u.name[:100], unit=u)
        for pk, u in units.items()
        if pk not in rooms
    ]
    if new_rooms:
        Room.objects.bulk_create(new_rooms)
        counts["rooms_created"] = len(new_rooms)
        rooms = {r.unit_id: r for r in Room.objects.filter(kind=Room.Kind.UNIT)}
    for unit_id, room in rooms.items():
        unit = units.get(unit_id) if unit_id is not None else None
        archived = unit is None
        name = room.name if unit is None else unit.name[:100]
        if room.is_archived != archived or room.name != name:
            room.is_archived, room.name = archived, name
            room.save(update_fields=["is_archived", "name"])

    desired: dict[int, set[int]] = defaultdict(set)
    posts = Assignment.objects.filter(
        unit_id__in=units, person__is_active=True, person__user__is_active=True
    ).values_list("unit_id", "person__user_id")
    for unit_id, user_id in posts:
        desired[rooms[unit_id].pk].add(user_id)
    current: dict[int, set[int]] = defaultdict(set)
    for room_id, user_id in RoomMember.objects.filter(room__kind=Room.Kind.UNIT).values_list(
        "room_id", "user_id"
    ):
        current[room_id].add(user_id)

    by_id = {r.pk: r for r in rooms.values()}
    changed = sorted(rid for rid in by_id if desired[rid] != current[rid])
    inactive = list(
        get_user_model()
        .objects.filter(is_active=False, chat_memberships__isnull=False)
        .values_list("pk", flat=True)
        .distinct()
    )
    other_rooms = sorted(
        set(
            RoomMember.objects.filter(user_id__in=inactive)
            .exclude(room__kind=Room.Kind.UNIT)
            .values_list("room_id", flat=True)
        )
    )
    if not changed and not other_rooms:
        return counts
    # Lock every room whose members change, in id order: a message sent at the same time is
    # delivered to the members before or after, never half of each.
    list(
        Room.objects.select_for_update(of=("self",), no_key=True)
        .filter(pk__in=changed + other_rooms)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    events: list[Outgoing] = []
    joins: list[RoomMember] = []
    for rid in changed:
        room = by_id[rid]
        gone = sorted(current[rid] - desired[rid])
        came = sorted(desired[rid] - current[rid])
        if gone:
            RoomMember.objects.filter(room_id=rid, user_id__in=gone).delete()
            events += [Outgoing(user_stream_key(u), "room_left", {"room": rid}) for u in gone]
        last = room.messages.order_by("-id").values_list("id", flat=True).first() or 0
        joins += [RoomMember(room_id=rid, user_id=u, last_read_id=last) for u in came]
        events += [Outgoing(user_stream_key(u), "room_joined", room_payload(room)) for u in came]
        counts["joined"] += len(came)
        counts["left"] += len(gone)
    RoomMember.objects.bulk_create(joins, batch_size=500)
    if other_rooms:
        gone_rows = list(
            RoomMember.objects.filter(room_id__in=other_rooms, user_id__in=inactive).values_list(
                "room_id", "user_id"
            )
        )
        RoomMember.objects.filter(room_id__in=other_rooms, user_id__in=inactive).delete()
        events += [Outgoing(user_stream_key(u), "room_left", {"room": r}) for r, u in gone_rows]
        counts["left"] += len(gone_rows)
    publish(events)
    record(
        action="chat.unit_rooms_synced",
        actor=actor,
        target_type="chat",
        target_id="unit_rooms",
        details=counts,
    )
    return counts
