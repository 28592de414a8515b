"""Reads of the chat app. Membership is the only way to see a room: every read filters by it,
and a room or message one may not see is "not found"."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, F, Max, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from audit.exceptions import NotFound
from chat.models import Message, Receipt, Room, RoomMember

MAX_PAGE = 100


def room_list_for_user(*, user: Any) -> QuerySet[Room]:
    """The rooms ``user`` belongs to, with ``unread`` (others' messages after their last read),
    ``last_message_id`` and, for a direct room, ``partner_name`` (the other person's name),
    most recently active first."""
    member = RoomMember.objects.filter(room=OuterRef("pk"), user=user)
    partner = (
        RoomMember.objects.filter(room=OuterRef("pk"))
        .exclude(user=user)
        .annotate(name=Coalesce("user__person__display_name", "user__username"))
        .order_by("id")
        .values("name")[:1]
    )
    return (
        Room.objects.filter(memberships__user=user, is_archived=False)
        .annotate(last_read=Subquery(member.values("last_read_id")[:1]))
        .annotate(partner_name=Subquery(partner))
        .annotate(
            unread=Count(
                "messages",
                filter=Q(messages__id__gt=F("last_read"), messages__deleted_at__isnull=True)
                & ~Q(messages__sender=user),
            ),
            last_message_id=Max("messages__id"),
        )
        .order_by(F("last_message_id").desc(nulls_last=True), "id")
    )


def room_get_for_user(*, user: Any, room_id: Any) -> Room:
    """The room if ``user`` is a member; raises NotFound otherwise (also for a bad id)."""
    try:
        room_id = int(room_id)
    except (TypeError, ValueError):
        raise NotFound(_("No such room.")) from None
    room = Room.objects.filter(pk=room_id, memberships__user=user).first()
    if room is None:
        raise NotFound(_("No such room."))
    return room


def room_member_ids(room_id: int) -> list[int]:
    return list(RoomMember.objects.filter(room_id=room_id).values_list("user_id", flat=True))


def room_ids_for_user(user_id: int) -> set[int]:
    return set(RoomMember.objects.filter(user_id=user_id).values_list("room_id", flat=True))


def room_members(room: Room) -> list[RoomMember]:
    return list(
        RoomMember.objects.filter(room=room)
        .select_related("user__person")
        .order_by("user__username")
    )


def message_list_for_room(
    *, user: Any, room: Room, before: int | None = None, limit: int = 50
) -> list[Message]:
    """Messages of a room the user belongs to (checked by the caller through room_get_for_user),
    newest ``limit`` before ``before``, returned oldest first."""
    qs = Message.objects.filter(room=room).select_related("sender__person", "parent")
    if before is not None:
        qs = qs.filter(id__lt=before)
    page = list(qs.order_by("-id")[: max(1, min(limit, MAX_PAGE))])
    page.reverse()
    return page


def message_get_for_user(*, user: Any, message_id: Any) -> Message:
    """A message of a room the user belongs to; NotFound otherwise."""
    try:
        message_id = int(message_id)
    except (TypeError, ValueError):
        raise NotFound(_("No such message.")) from None
    message = (
        Message.objects.select_related("room", "sender")
        .filter(pk=message_id, room__memberships__user=user)
        .first()
    )
    if message is None:
        raise NotFound(_("No such message."))
    return message


def receipt_counts(message_ids: list[int]) -> dict[int, int]:
    rows = (
        Receipt.objects.filter(message_id__in=message_ids)
        .values("message_id")
        .annotate(n=Count("id"))
    )
    return {r["message_id"]: r["n"] for r in rows}


def receipt_readers(message: Message) -> list[dict[str, Any]]:
    rows = (
        Receipt.objects.filter(message=message)
        .select_related("user__person")
        .order_by("read_at", "id")
    )
    return [
        {"reader": r.user.username, "name": display_name(r.user), "read_at": r.read_at}
        for r in rows
    ]


def display_name(user: Any) -> str:
    if user is None:
        return _("Kairan")
    person = getattr(user, "person", None)
    return person.display_name if person is not None else user.get_username()


def room_title(room: Room, user: Any) -> str:
    """A direct room is titled by the other person's name."""
    if room.kind != Room.Kind.DIRECT:
        return room.name
    other = (
        RoomMember.objects.filter(room=room)
        .exclude(user=user)
        .select_related("user__person")
        .first()
    )
    return display_name(other.user) if other else _("Direct messages")
