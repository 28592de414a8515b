"""``/ws/chat/``: a person's chat events (their own realtime stream) and their sends and reads.

Thin: the stream, replay, gap handling, frame and flood limits are realtime's
(``StreamConsumer``); this class names the person's stream, withholds events of rooms they are
not (or no longer) a member of, and passes ``send`` and ``read`` frames to chat's services.
"""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async
from django.utils.translation import gettext as _

from audit.exceptions import KairanError
from chat import selectors, services
from realtime.consumers import StreamConsumer
from realtime.services import user_stream_key


class ChatConsumer(StreamConsumer):
    rooms: set[int]
    # CONTRACT.md "Chat": message and receipt (error and resync always). The screens ask for
    # everything (?events=all): hello, room_joined/left/updated, message_updated, read_state.
    basic_kinds = frozenset({"message", "receipt"})

    async def stream_key(self) -> str | None:
        return user_stream_key(self.user.pk)

    async def on_connected(self) -> None:
        self.rooms = await database_sync_to_async(selectors.room_ids_for_user)(self.user.pk)

    async def filter_event(self, kind: str, payload: dict[str, Any]) -> dict[str, Any] | None:
        # Membership is checked for every event, in the stream's own order: a room_left
        # event is followed by nothing of that room.
        if kind == "room_joined":
            self.rooms.add(payload["id"])
            return payload
        if kind == "room_left":
            self.rooms.discard(payload["room"])
            return payload
        room = payload.get("room")
        if room is not None and room not in self.rooms:
            return None
        return payload

    async def handle(self, content: dict[str, Any]) -> None:
        kind = content["type"]
        try:
            if kind == "send":
                await database_sync_to_async(services.message_send)(
                    actor=self.user,
                    room_id=content.get("room"),
                    text=content.get("text"),
                    client_id=content.get("client_id") or "",
                    parent_id=content.get("parent"),
                )
            elif kind == "read":
                await database_sync_to_async(services.message_read)(
                    actor=self.user, room_id=content.get("room"), message_id=content.get("message")
                )
            else:
                await self.send_error(_("Unknown message type."))
        except KairanError as exc:
            extra = {"client_id": content["client_id"]} if "client_id" in content else {}
            await self.send_error(str(exc.message), **extra)
