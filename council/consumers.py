"""``/ws/council/meetings/{id}/``: follow the presenter (CONTRACT.md "Council"), on realtime's
``StreamConsumer`` (auth by session cookie or ``?token=``, stored events, replay, gap filling).

Stream ``council.meeting.<id>``: the presenter's ``goto`` events. Client → server:
``{"type":"goto","material","page"}`` (presenter only), ``{"type":"unfollow"}`` (step away: no
more page turns), ``{"type":"follow"}`` (follow again; answered with the presenter's current
page — the one-tap return). Server → client: realtime's ``hello``, then ``{"type":"current",
"material","page","title"}`` (where the presenter is now: a late joiner lands there), ``goto``
events ``{"type":"goto","event_id","material","page","title"}`` while following,
``{"type":"followers","count"}`` to presenters, ``{"type":"error","detail"}``.
Only people who may see the meeting connect (others: closed with 4403); a ``goto`` to a material
not published for someone is withheld from them, so it reveals nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from channels.db import database_sync_to_async
from django.core.cache import cache
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.exceptions import KairanError
from council import permissions, selectors, services
from realtime.consumers import StreamConsumer

FOLLOWERS_TTL = 24 * 3600


def stream_key(meeting_id: int) -> str:
    return f"council.meeting.{int(meeting_id)}"


def goto_for_user(user: Any, material_id: Any, page: Any) -> dict | None:
    """A page turn as ``user`` may see it, or None when the material is not visible to them."""
    if material_id is None:
        return None
    material = selectors.material_list_visible(user=user).filter(pk=material_id).first()
    if material is None:
        return None
    return {"material": material.pk, "page": page, "title": material.title}


def goto_visible(
    payload: dict[str, Any],
    *,
    everything: bool,
    committees: set[int],
    councilor: bool = True,
    person_id: int | None = None,
) -> bool:
    """Whether a stored ``goto`` is visible to a connection, from the event alone (no query):
    the secretariat sees everything; a councilor a material from its publish_at on, for all or
    for a committee they belong to (their committees are read at connect); a named executive
    (``person_id``) a material from its publish_at on when they are among its readers."""
    if everything:
        return True
    try:
        published = datetime.fromisoformat(payload["publish_at"]) <= timezone.now()
    except (KeyError, TypeError, ValueError):
        return False
    audience = payload.get("audience")
    if not published:
        return False
    if audience == "people":
        return person_id is not None and person_id in (payload.get("readers") or [])
    return councilor and (
        audience == "all" or (audience == "committee" and payload.get("committee") in committees)
    )


def _followers_add(meeting_id: int, delta: int) -> int:
    """How many follow a meeting, kept in the shared cache (Redis across processes)."""
    key = f"council:followers:{meeting_id}"
    cache.add(key, 0, FOLLOWERS_TTL)
    try:
        value = cache.incr(key, delta)
    except ValueError:  # expired between add and incr
        value = max(0, delta)
        cache.set(key, value, FOLLOWERS_TTL)
    return max(0, value)


class MeetingConsumer(StreamConsumer):
    # The contract's page turn reaches every client; realtime's hello only with ?events=all.
    basic_kinds = frozenset({"goto"})
    meeting: Any = None
    following = False
    counted = False
    can_present = False
    sees_everything = False
    is_councilor = False
    person_id: int | None = None  # a named executive's Person id
    committees: set[int] = set()  # replaced per connection

    async def stream_key(self) -> str | None:
        meeting_id = int(self.scope["url_route"]["kwargs"]["meeting_id"])
        self.meeting = await database_sync_to_async(self._meeting)(meeting_id)
        return stream_key(meeting_id) if self.meeting is not None else None

    def _meeting(self, meeting_id: int) -> Any:
        if not permissions.may_use_council(self.user):
            return None
        meeting = selectors.meeting_list_visible(user=self.user).filter(pk=meeting_id).first()
        self.can_present = bool(meeting and permissions.can_present(self.user))
        self.sees_everything = permissions.is_secretariat(self.user)
        councilor = permissions.councilor_for(self.user)
        self.is_councilor = councilor is not None
        self.person_id = permissions.named_reader_id(self.user)
        self.committees = (
            set(councilor.committees.values_list("pk", flat=True)) if councilor else set()
        )
        return meeting

    async def connect(self) -> None:
        await super().connect()
        if self.meeting is None or not hasattr(self, "stream_id"):
            return  # refused by the base class
        self.following = True
        await self._count(+1)
        current = await database_sync_to_async(self._current)()
        await self.send_json(current)

    async def disconnect(self, code: int) -> None:
        if self.counted:
            await self._count(-1)
        await super().disconnect(code)

    async def filter_event(self, kind: str, payload: dict[str, Any]) -> dict[str, Any] | None:
        if kind != "goto" or not self.following:
            return None
        if not goto_visible(
            payload,
            everything=self.sees_everything,
            committees=self.committees,
            councilor=self.is_councilor,
            person_id=self.person_id,
        ):
            return None
        return {k: payload.get(k) for k in ("material", "page", "title")}

    async def handle(self, content: dict[str, Any]) -> None:
        kind = content["type"]
        if kind == "goto":
            error = await database_sync_to_async(self._goto)(
                content.get("material"), content.get("page")
            )
            if error:
                await self.send_error(error)
        elif kind == "follow":
            self.following = True
            await self._count(+1)
            await self.send_json(await database_sync_to_async(self._current)())
        elif kind == "unfollow":
            self.following = False
            await self._count(-1)
        else:
            await self.send_error(_("Unknown message type."))

    async def council_followers(self, message: dict[str, Any]) -> None:
        if self.can_present:
            await self.send_json({"type": "followers", "count": message["count"]})

    async def _count(self, delta: int) -> None:
        """Count this connection as a follower (+1) or not (-1); presenters are not counted."""
        if self.can_present or (delta > 0) == self.counted:
            if self.can_present and delta > 0:  # a presenter still wants the current figure
                count = await database_sync_to_async(_followers_add)(self.meeting.pk, 0)
                await self.send_json({"type": "followers", "count": count})
            return
        self.counted = delta > 0
        count = await database_sync_to_async(_followers_add)(self.meeting.pk, delta)
        await self.channel_layer.group_send(
            self.group, {"type": "council.followers", "count": count}
        )

    def _current(self) -> dict[str, Any]:
        meeting = selectors.meeting_get(user=self.user, meeting_id=self.meeting.pk)
        seen = goto_for_user(self.user, meeting.presenter_material_id, meeting.presenter_page)
        return {"type": "current", **(seen or {"material": None, "page": None})}

    def _goto(self, material_id: Any, page: Any) -> str | None:
        try:
            material_id, page = int(material_id), int(page)
        except (TypeError, ValueError):
            return _("That page does not exist.")
        if not permissions.can_present(self.user):
            return _("Only the presenter may turn pages for everyone.")
        material = (
            selectors.material_list_visible(user=self.user)
            .filter(pk=material_id, meeting_id=self.meeting.pk)
            .first()
        )
        if material is None:
            return _("Not found.")
        try:
            services.presenter_goto(
                actor=self.user, meeting=self.meeting, material=material, page=page
            )
        except KairanError as exc:
            return str(exc)
        return None
