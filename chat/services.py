"""Writes of the chat app: rooms, members, messages, receipts.

Every service runs in one transaction: permission check, change, stored realtime events for the
people concerned (``realtime.publish``, before the audit record — the chain head is the last
lock), audit where the change is about people or records. A message send locks its room's row,
and so does every membership change: a message is delivered exactly to the members at the
moment it was sent, and someone removed gets nothing after the removal.
"""

from __future__ import annotations

import re
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.exceptions import Conflict, NotFound, PermissionRefused, ValidationFailed
from audit.services import record
from audit.transactions import atomic_service
from chat import permissions
from chat.events import message_payload, room_payload
from chat.models import Message, MessageRevision, Receipt, Room, RoomMember
from chat.search import message_index
from chat.selectors import room_member_ids
from realtime.services import Outgoing, publish, user_stream_key

MAX_TEXT = 4000
MAX_NAME = 100
MAX_READ_BATCH = 500
MENTION = re.compile(r"@([A-Za-z0-9._-]{1,150})")


def _locked_room(room_id: int) -> Room:
    return Room.objects.select_for_update(of=("self",), no_key=True).get(pk=room_id)


def _require_member(user: Any, room: Room) -> None:
    if not RoomMember.objects.filter(room=room, user=user).exists():
        raise NotFound(_("No such room."))


def _to_members(room_id: int, kind: str, payload: dict[str, Any]) -> list[Outgoing]:
    return [Outgoing(user_stream_key(uid), kind, payload) for uid in room_member_ids(room_id)]


def _users(usernames: list[str]) -> list[Any]:
    users = list(get_user_model().objects.filter(username__in=usernames, is_active=True))
    missing = set(usernames) - {u.username for u in users}
    if missing:
        raise ValidationFailed(
            _("Unknown people: %(names)s") % {"names": ", ".join(sorted(missing))}
        )
    return users


def _clean_name(name: Any) -> str:
    if not isinstance(name, str) or not name.strip():
        raise ValidationFailed(_("A room needs a name."))
    name = name.strip()
    if len(name) > MAX_NAME:
        raise ValidationFailed(_("The name is too long."))
    return name


def _clean_text(text: Any) -> str:
    if not isinstance(text, str) or not text.strip():
        raise ValidationFailed(_("A message needs text."))
    if len(text) > MAX_TEXT:
        raise ValidationFailed(_("The message is too long."))
    if "\x00" in text:
        raise ValidationFailed(_("The message contains invalid characters."))
    return text


def members_join(room: Room, users: list[Any]) -> list[Outgoing]:
    """Add users to a room (inside the caller's transaction, room row locked): the events that
    tell them. Used by the services here and the unit-room sync."""
    have = set(RoomMember.objects.filter(room=room).values_list("user_id", flat=True))
    new = [u for u in users if u.pk not in have]
    RoomMember.objects.bulk_create(
        [RoomMember(room=room, user=u, last_read_id=_last_id(room)) for u in new]
    )
    return [Outgoing(user_stream_key(u.pk), "room_joined", room_payload(room)) for u in new]


def members_leave(room: Room, user_ids: list[int]) -> list[Outgoing]:
    RoomMember.objects.filter(room=room, user_id__in=user_ids).delete()
    return [Outgoing(user_stream_key(uid), "room_left", {"room": room.pk}) for uid in user_ids]


def _last_id(room: Room) -> int:
    return Message.objects.filter(room=room).aggregate(m=Max("id"))["m"] or 0


# --- rooms ---------------------------------------------------------------------------------------


@atomic_service
def room_create(*, actor: Any, name: Any, members: list[str]) -> Room:
    """A group room of the actor and the named people. Raises ValidationFailed for an empty name
    or unknown people."""
    name = _clean_name(name)
    if not isinstance(members, list) or not all(isinstance(m, str) for m in members):
        raise ValidationFailed(_("Members must be a list of usernames."))
    users = _users(sorted(set(members) - {actor.username}))
    room = Room.objects.create(kind=Room.Kind.GROUP, name=name, created_by=actor)
    publish(members_join(room, [actor, *users]))
    record(
        action="chat.room_created",
        actor=actor,
        target=room,
        details={"name": name, "members": sorted([actor.username, *(u.username for u in users)])},
    )
    return room


@atomic_service
def room_rename(*, actor: Any, room: Room, name: Any) -> Room:
    room = _locked_room(room.pk)
    _require_member(actor, room)
    if not permissions.can_manage_members(actor, room):
        raise PermissionRefused(_("This room cannot be renamed."))
    old, room.name = room.name, _clean_name(name)
    room.save(update_fields=["name"])
    publish(_to_members(room.pk, "room_updated", room_payload(room)))
    record(
        action="chat.room_renamed", actor=actor, target=room, details={"from": old, "to": room.name}
    )
    return room


@atomic_service
def room_member_add(*, actor: Any, room: Room, username: str) -> Room:
    room = _locked_room(room.pk)
    _require_member(actor, room)
    if not permissions.can_manage_members(actor, room):
        raise PermissionRefused(_("Members of this room are managed by the system."))
    (user,) = _users([username])
    events = members_join(room, [user])
    if not events:
        raise Conflict(_("%(name)s is already a member.") % {"name": username})
    publish(events)
    record(action="chat.member_added", actor=actor, target=room, details={"member": username})
    return room


@atomic_service
def room_member_remove(*, actor: Any, room: Room, username: str) -> Room:
    """Remove a member from a group room (any member may, oneself included); they stop
    receiving the room at once, open connections included."""
    room = _locked_room(room.pk)
    _require_member(actor, room)
    if not permissions.can_manage_members(actor, room):
        raise PermissionRefused(_("Members of this room are managed by the system."))
    user_id = (
        RoomMember.objects.filter(room=room, user__username=username)
        .values_list("user_id", flat=True)
        .first()
    )
    if user_id is None:
        raise ValidationFailed(_("%(name)s is not a member.") % {"name": username})
    publish(members_leave(room, [user_id]))
    record(action="chat.member_removed", actor=actor, target=room, details={"member": username})
    return room


@atomic_service
def direct_room_get_or_create(*, actor: Any, username: str) -> Room:
    """The one room of the actor and another person (created on first use)."""
    (other,) = _users([username])
    if other.pk == actor.pk:
        raise ValidationFailed(_("You cannot write to yourself."))
    low, high = sorted([actor.pk, other.pk])
    room, created = Room.objects.get_or_create(
        pair_key=f"{low}:{high}",
        defaults={"kind": Room.Kind.DIRECT, "name": "", "created_by": actor},
    )
    if created:
        publish(members_join(room, [actor, other]))
    return room


# --- messages ------------------------------------------------------------------------------------


@atomic_service
def message_send(
    *,
    actor: Any,
    room_id: Any,
    text: Any,
    client_id: Any = "",
    parent_id: Any = None,
    attachment: Any = None,
) -> Message:
    """Store a message and deliver it to the room's members. A repeated ``client_id`` returns the
    message already stored (a client retrying after a lost answer). Raises NotFound for a room
    the actor is not in, ValidationFailed for empty, too long or bad input."""
    try:
        room = _locked_room(int(room_id))
    except (TypeError, ValueError, Room.DoesNotExist):
        raise NotFound(_("No such room.")) from None
    _require_member(actor, room)
    if room.is_archived:
        raise Conflict(_("This room is archived."))
    text = _clean_text(text)
    if not isinstance(client_id, str) or len(client_id) > 64:
        raise ValidationFailed(_("client_id must be a string of at most 64 characters."))
    if client_id and (
        existing := Message.objects.filter(room=room, sender=actor, client_id=client_id).first()
    ):
        return existing
    parent = None
    if parent_id not in (None, ""):
        parent = Message.objects.filter(pk=_int(parent_id), room=room).first()
        if parent is None:
            raise ValidationFailed(_("The thread is not in this room."))
    message = Message.objects.create(
        room=room,
        sender=actor,
        text=text,
        client_id=client_id,
        parent=parent,
        attachment=attachment,
    )
    message.sender = actor
    publish(_to_members(room.pk, "message", message_payload(message)))
    message_index(message)
    _notify_mentions(actor, room, message)
    return message


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValidationFailed(_("Not a number: %(value)s") % {"value": value}) from None


def _notify_mentions(actor: Any, room: Room, message: Message) -> None:
    names = set(MENTION.findall(message.text)) - {actor.username}
    if not names:
        return
    from directory.models import Person
    from directory.notifications import notification_create

    people = Person.objects.filter(
        user__username__in=names,
        user__chat_memberships__room=room,
        is_active=True,
    ).select_related("user")
    for person in people:
        notification_create(
            recipient=person,
            kind="chat_mention",
            title=_("%(name)s mentioned you in chat") % {"name": actor.username},
            body=message.text[:200],
            url=f"/chat/rooms/{room.pk}/#m{message.pk}",
        )


def _locked_message(actor: Any, message_id: int) -> Message:
    message = (
        Message.objects.select_for_update(of=("self",), no_key=True)
        .filter(pk=message_id, room__memberships__user=actor)
        .first()
    )
    if message is None:
        raise NotFound(_("No such message."))
    return message


@atomic_service
def message_edit(*, actor: Any, message_id: Any, text: Any) -> Message:
    """The sender changes a message's text; the previous text is kept for auditors."""
    message = _locked_message(actor, _int(message_id))
    if not permissions.can_edit_message(actor, message):
        raise PermissionRefused(_("Only the sender may edit this message."))
    text = _clean_text(text)
    MessageRevision.objects.create(message=message, text=message.text, action="edit", actor=actor)
    message.text, message.edited_at = text, timezone.now()
    message.save(update_fields=["text", "edited_at"])
    message_index(message)
    publish(_to_members(message.room_id, "message_updated", message_payload(message)))
    record(action="chat.message_edited", actor=actor, target=message, details={})
    return message


@atomic_service
def message_delete(*, actor: Any, message_id: Any) -> Message:
    """The sender deletes a message: others see 「削除されました」, auditors the original."""
    message = _locked_message(actor, _int(message_id))
    if not permissions.can_edit_message(actor, message):
        raise PermissionRefused(_("Only the sender may delete this message."))
    MessageRevision.objects.create(message=message, text=message.text, action="delete", actor=actor)
    message.deleted_at = timezone.now()
    message.save(update_fields=["deleted_at"])
    message_index(message)
    publish(_to_members(message.room_id, "message_updated", message_payload(message)))
    record(action="chat.message_deleted", actor=actor, target=message, details={})
    return message


@atomic_service
def message_mark_mandatory(*, actor: Any, message_id: Any) -> Message:
    """A 係長 or above marks a message 必読 (must read)."""
    message = _locked_message(actor, _int(message_id))
    if not permissions.can_mark_mandatory(actor):
        raise PermissionRefused(_("Only a 係長 or above may mark a message as must-read."))
    if message.is_mandatory:
        raise Conflict(_("This message is already marked as must-read."))
    message.is_mandatory = True
    message.save(update_fields=["is_mandatory"])
    publish(_to_members(message.room_id, "message_updated", message_payload(message)))
    record(action="chat.message_mandatory", actor=actor, target=message, details={})
    return message


@atomic_service
def message_read(*, actor: Any, room_id: Any, message_id: Any) -> int:
    """The actor has read the room up to ``message_id``: receipts for others' messages up to it
    (at most the newest 500 unread), each sender told with a ``receipt`` event. Returns the
    number of new receipts. Raises NotFound for a room or message the actor cannot see."""
    member = (
        RoomMember.objects.select_for_update(of=("self",), no_key=True)
        .filter(room_id=_int(room_id), user=actor)
        .first()
    )
    message_id = _int(message_id)
    if member is None or not Message.objects.filter(pk=message_id, room_id=member.room_id).exists():
        raise NotFound(_("No such message."))
    if message_id <= member.last_read_id:
        return 0
    unread = list(
        Message.objects.filter(
            room_id=member.room_id, id__gt=member.last_read_id, id__lte=message_id
        )
        .exclude(sender=actor)
        .order_by("-id")
        .values_list("id", "sender_id")[:MAX_READ_BATCH]
    )
    done = set(
        Receipt.objects.filter(user=actor, message_id__in=[m for m, _ in unread]).values_list(
            "message_id", flat=True
        )
    )
    new = [(m, s) for m, s in reversed(unread) if m not in done]
    now = timezone.now()
    Receipt.objects.bulk_create(
        [Receipt(message_id=m, user=actor, read_at=now) for m, _ in new], ignore_conflicts=True
    )
    member.last_read_id = message_id
    member.save(update_fields=["last_read_id"])
    events = [
        Outgoing(
            user_stream_key(sender),
            "receipt",
            {"room": member.room_id, "message": m, "reader": actor.username},
        )
        for m, sender in new
        if sender is not None
    ]
    events.append(
        Outgoing(
            user_stream_key(actor.pk), "read_state", {"room": member.room_id, "message": message_id}
        )
    )
    publish(events)
    return len(new)


@atomic_service
def message_send_with_attachment(
    *, actor: Any, room_id: Any, upload: Any, text: str = "", client_id: str = ""
) -> Message:
    """Store an uploaded file as a document (documents' upload checks: 413, 400) and send it as
    a message, in one transaction. Only the room's members (and auditors) reach it, in chat
    (``attachment_open``) and in the records (``chat.access``)."""
    from documents.models import Classification
    from documents.services import document_upload

    room = _locked_room(_int(room_id))
    _require_member(actor, room)
    name = (getattr(upload, "name", "") or "file")[:200]
    document = document_upload(
        actor=actor,
        content=upload,
        name=name,
        size_bytes=upload.size,
        title=name,
        classification=Classification.CONFIDENTIAL,
    )
    return message_send(
        actor=actor,
        room_id=room.pk,
        text=text.strip() or name,
        client_id=client_id,
        attachment=document,
    )


def attachment_open(*, actor: Any, message_id: Any) -> Any:
    """The verified bytes of a message's attachment, for a member of its room (NotFound
    otherwise, also for a deleted message or one without a file)."""
    from chat.selectors import message_get_for_user
    from documents.services import version_open

    message = message_get_for_user(user=actor, message_id=message_id)
    document = message.attachment
    if document is None or document.current_version is None or message.deleted_at is not None:
        raise NotFound(_("No such file."))
    return version_open(actor=actor, document=document, version=document.current_version)
