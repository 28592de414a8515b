"""Typed payloads of chat events (what a client receives; see chat/README.md)."""

from __future__ import annotations

from typing import Any

from chat.models import Message, Room
from chat.selectors import display_name


def message_payload(message: Message) -> dict[str, Any]:
    deleted = message.deleted_at is not None
    return {
        "room": message.room_id,
        "id": message.pk,
        "sender": message.sender.username if message.sender else None,
        "sender_name": display_name(message.sender),
        "text": "" if deleted else message.text,
        "sent_at": message.sent_at.isoformat(),
        "client_id": message.client_id,
        "parent": message.parent_id,
        "attachment": message.attachment_id if not deleted else None,
        "edited": message.edited_at is not None,
        "deleted": deleted,
        "mandatory": message.is_mandatory,
        "card": message.card,
    }


def room_payload(room: Room) -> dict[str, Any]:
    return {"id": room.pk, "kind": room.kind, "name": room.name}
