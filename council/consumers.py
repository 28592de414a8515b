"""``/ws/council/meetings/{id}/``: follow the presenter (CONTRACT.md "Council").

Client → server: ``{"type":"goto","material","page"}`` (presenter), ``{"type":"follow"}`` (follow,
or return to the presenter's current page with one tap), ``{"type":"unfollow"}`` (step away).
Server → client: ``{"type":"hello","event_id","current","followers","can_present"}``,
``{"type":"goto","event_id","material","page","title"}`` (to followers; also the answer to
``follow``), ``{"type":"followers","count"}``, ``{"type":"error","detail"}``.
Connect with ``?last_event_id=N`` to replay what was missed. Only people who may see the meeting
connect (others are refused at the handshake); a ``goto`` to a material not published for
someone is not sent to them.
"""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.core.cache import cache

from audit.exceptions import KairanError
from council import permissions, realtime, selectors, services
from council.models import MeetingEvent
from council.ws_auth import query_params, websocket_user

FOLLOWERS_TTL = 24 * 3600


def event_for_user(user: Any, event: MeetingEvent | None) -> dict | None:
    """The event as ``user`` may see it, or None when its material is not visible to them."""
    if event is None or event.kind != "goto" or event.material_id is None:
        return None
    material = selectors.material_list_visible(user=user).filter(pk=event.material_id).first()
    if material is None:
        return None
    return {
        "type": "goto",
        "event_id": event.pk,
        "material": material.pk,
        "page": event.page,
        "title": material.title,
    }


def _followers_key(meeting_id: int) -> str:
    return f"council:followers:{meeting_id}"


def _followers_add(meeting_id: int, delta: int) -> int:
    key = _followers_key(meeting_id)
    cache.add(key, 0, FOLLOWERS_TTL)
    try:
        value = cache.incr(key, delta)
    except ValueError:
        cache.set(key, max(0, delta), FOLLOWERS_TTL)
        value = max(0, delta)
    return max(0, value)


class MeetingConsumer(AsyncJsonWebsocketConsumer):
    meeting = None
    user = None
    following = False
    can_present = False

    async def connect(self) -> None:
        self.user = await websocket_user(self.scope)
        meeting_id = int(self.scope["url_route"]["kwargs"]["meeting_id"])
        self.meeting = await self._meeting(meeting_id)
        if self.meeting is None:
            await self.close(code=4404)
            return
        self.group = realtime.group_name(self.meeting.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        self.following = True
        # The presenter follows themself (sees their own page turns) but is not counted.
        count = await self._count(0 if self.can_present else 1)
        await self.send_json(await self._hello(count))
        if not self.can_present:
            await self.channel_layer.group_send(
                self.group, {"type": "council.followers", "count": count}
            )

    async def disconnect(self, code: int) -> None:
        if self.meeting is None:
            return
        await self.channel_layer.group_discard(self.group, self.channel_name)
        if self.following:
            self.following = False
            await self._followers_changed(-1)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if not isinstance(content, dict):
            await self.send_json({"type": "error", "detail": "bad message"})
            return
        kind = content.get("type")
        if kind == "goto":
            error = await self._goto(content.get("material"), content.get("page"))
            if error:
                await self.send_json({"type": "error", "detail": error})
        elif kind == "follow":
            if not self.following:
                self.following = True
                await self._followers_changed(1)
            current = await self._current()
            await self.send_json(current or {"type": "goto", "event_id": 0, "material": None})
        elif kind == "unfollow":
            if self.following:
                self.following = False
                await self._followers_changed(-1)
        else:
            await self.send_json({"type": "error", "detail": "unknown message type"})

    async def council_event(self, message: dict) -> None:
        if not self.following:
            return
        payload = await self._event(message["event_id"])
        if payload is not None:
            await self.send_json(payload)

    async def council_followers(self, message: dict) -> None:
        if self.can_present:
            await self.send_json({"type": "followers", "count": message["count"]})

    async def _count(self, delta: int) -> int:
        return await database_sync_to_async(_followers_add)(self.meeting.pk, delta)

    async def _followers_changed(self, delta: int) -> None:
        if self.can_present:
            return
        count = await self._count(delta)
        await self.channel_layer.group_send(
            self.group, {"type": "council.followers", "count": count}
        )

    # --- database work, in a thread ---------------------------------------------------------

    @database_sync_to_async
    def _meeting(self, meeting_id: int):
        if not permissions.may_use_council(self.user):
            return None
        meeting = selectors.meeting_list_visible(user=self.user).filter(pk=meeting_id).first()
        self.can_present = bool(meeting and permissions.can_present(self.user))
        return meeting

    @database_sync_to_async
    def _hello(self, followers: int) -> dict:
        current = selectors.presenter_current(meeting=self.meeting)
        last = MeetingEvent.objects.filter(meeting=self.meeting).order_by("-id").first()
        hello = {
            "type": "hello",
            "event_id": last.pk if last else 0,
            "current": event_for_user(self.user, current),
            "can_present": self.can_present,
            "followers": followers if self.can_present else None,
        }
        since = query_params(self.scope).get("last_event_id")
        if since and since.isdigit():
            missed = selectors.events_after(meeting=self.meeting, last_event_id=int(since))
            hello["missed"] = [p for e in missed if (p := event_for_user(self.user, e))]
        return hello

    @database_sync_to_async
    def _current(self) -> dict | None:
        return event_for_user(self.user, selectors.presenter_current(meeting=self.meeting))

    @database_sync_to_async
    def _event(self, event_id: int) -> dict | None:
        event = MeetingEvent.objects.filter(pk=event_id, meeting=self.meeting).first()
        return event_for_user(self.user, event)

    @database_sync_to_async
    def _goto(self, material_id: Any, page: Any) -> str | None:
        try:
            material_id, page = int(material_id), int(page)
        except (TypeError, ValueError):
            return "material and page must be numbers"
        if not permissions.can_present(self.user):
            return "only the presenter may turn pages"
        material = (
            selectors.material_list_visible(user=self.user)
            .filter(pk=material_id, meeting=self.meeting)
            .first()
        )
        if material is None:
            return "not found"
        try:
            services.presenter_goto(
                actor=self.user, meeting=self.meeting, material=material, page=page
            )
        except KairanError as exc:
            return str(exc)
        return None
