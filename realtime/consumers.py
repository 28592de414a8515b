"""``StreamConsumer``: a WebSocket that reads one stored stream, exactly once and in order.

Subclasses name the stream (``stream_key``), may veto single events (``filter_event``) and
handle client frames (``handle``). The base class does the rest: refuses anonymous or inactive
users, replays from ``?last_event_id=N``, delivers live wake-ups in order, fills any gap from the
database (a wake-up lost by the layer or dropped from a full queue), tells the client to
``resync`` when the gap is too old or too long to replay, polls the stream head now and then
(so even a lost *last* wake-up is found), and refuses oversized frames and floods with an
``error`` event instead of closing.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any
from urllib.parse import parse_qs

from channels.generic.websocket import AsyncWebsocketConsumer
from django.utils.translation import gettext as _

from realtime import selectors
from realtime.dispatch import dispatcher, read, setting
from realtime.models import group_name_for

logger = logging.getLogger(__name__)

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403


class StreamConsumer(AsyncWebsocketConsumer):
    """Override ``stream_key`` (return None to refuse), optionally ``on_connected``,
    ``filter_event`` and ``handle``."""

    stream_id: int
    cursor: int
    # Event kinds every client gets; the others (and a first "hello") only with ?events=all —
    # clients written against the bare protocol never meet a type they do not know.
    # ?events=<kind>,<kind> asks for just those kinds (and "hello"): the header bell of every
    # screen takes only "notification" from the person's stream.
    basic_kinds: frozenset[str] = frozenset()
    all_kinds = False
    chosen_kinds: frozenset[str] | None = None

    # --- to override --------------------------------------------------------------------------
    async def stream_key(self) -> str | None:
        raise NotImplementedError

    async def on_connected(self) -> None:
        """Called after accept, before the replay (e.g. load what filter_event needs)."""

    async def filter_event(self, kind: str, payload: dict[str, Any]) -> dict[str, Any] | None:
        """The payload to send for a stored event, or None to withhold it from this client."""
        return payload

    async def handle(self, content: dict[str, Any]) -> None:
        await self.send_error(_("Unknown message type."))

    # --- connection ---------------------------------------------------------------------------
    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not user.is_active:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.user = user
        key = await self.stream_key()
        if key is None:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.lock = asyncio.Lock()
        self.bucket = float(self.rate_frames)
        self.bucket_at = time.monotonic()
        self.stream_id, head = await read(selectors.stream_ensure)(key)
        self.group = group_name_for(self.stream_id)
        # Join the groups before reading the head, so no event falls between the two.
        await self.channel_layer.group_add(self.group, self.channel_name)
        await dispatcher().register(self)
        await self.accept()
        await self.on_connected()
        requested = self._last_event_id()
        self._choose_kinds(self._query("events"))
        async with self.lock:
            if requested is None or requested > head:
                self.cursor = head
            else:
                self.cursor = requested
            if self.all_kinds or self.chosen_kinds is not None:
                await self.send_json({"type": "hello", "event_id": self.cursor})
            if self.cursor < head:
                await self._catch_up()

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)
            dispatcher().unregister(self)

    def _query(self, name: str) -> str:
        query = parse_qs(self.scope.get("query_string", b"").decode("latin1"))
        return (query.get(name) or [""])[0]

    def _choose_kinds(self, events: str) -> None:
        """``all``: every kind; ``a,b``: only those (at most 20 names); nothing: the basic ones."""
        self.all_kinds = events == "all"
        if events and not self.all_kinds:
            self.chosen_kinds = frozenset(k[:40] for k in events.split(",")[:20] if k)

    def _wants(self, kind: str) -> bool:
        if self.all_kinds:
            return True
        if self.chosen_kinds is not None:
            return kind in self.chosen_kinds
        return kind in self.basic_kinds

    def _last_event_id(self) -> int | None:
        value = self._query("last_event_id")
        return int(value) if value.isdigit() and len(value) < 19 else None

    @property
    def rate_frames(self) -> int:
        return int(setting("RATE_FRAMES", 30))

    @property
    def rate_seconds(self) -> float:
        return float(setting("RATE_SECONDS", 10))

    # --- delivery -----------------------------------------------------------------------------
    async def realtime_event(self, message: dict[str, Any]) -> None:
        """A wake-up from the layer, carrying copies of a transaction's events of this stream."""
        await self._wake([tuple(e) for e in message["events"]])

    async def wake_from_dispatch(self, events: list[tuple[Any, ...]]) -> None:
        """This stream's events of a fan-out wake-up, from the process's listener
        (realtime.dispatch)."""
        try:
            await self._wake(events)
        except Exception:
            logger.debug("realtime: fan-out delivery stopped", exc_info=True)

    async def _wake(self, events: list[tuple[Any, ...]]) -> None:
        dispatcher().touched(self.stream_id)
        async with self.lock:
            for seq, kind, payload in events:
                if seq <= self.cursor:
                    continue  # already delivered (replay or catch-up got there first)
                if seq == self.cursor + 1:
                    await self._deliver(seq, kind, payload)
                else:
                    # A gap: a wake-up was lost or is late. The store has everything up to
                    # the newest committed event, in order.
                    await self._catch_up()

    async def _deliver(self, seq: int, kind: str, payload: dict[str, Any]) -> None:
        self.cursor = seq
        try:
            content = await self.filter_event(kind, payload)
        except Exception:
            logger.exception("realtime: filter_event failed; event %s withheld", seq)
            content = None
        if content is not None and self._wants(kind):
            await self.send_json({**content, "type": kind, "event_id": seq})

    async def _catch_up(self) -> None:
        """Deliver every stored event after the cursor, in order; resync when that is not
        possible (purged, or more than the replay limit)."""
        limit = int(setting("REPLAY_LIMIT", 1000))
        rows = await read(selectors.events_after)(
            stream_id=self.stream_id, after=self.cursor, limit=limit + 1
        )
        if not rows:
            return
        if len(rows) > limit or rows[0][0] != self.cursor + 1:
            head = await read(selectors.stream_head)(self.stream_id)
            self.cursor = head
            await self.send_json({"type": "resync", "event_id": head})
            return
        for seq, kind, payload in rows:
            await self._deliver(seq, kind, payload)

    async def check(self, head: int) -> None:
        """The process's checker saw the stored head past our cursor: catch up."""
        try:
            async with self.lock:
                if head > self.cursor:
                    await self._catch_up()
        except Exception:
            # Usually the client went away while we were sending.
            logger.debug("realtime: catch-up after a check stopped", exc_info=True)

    # --- client frames ------------------------------------------------------------------------
    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if text_data is None:
            await self.send_error(_("Only JSON text frames are accepted."))
            return
        if len(text_data.encode()) > int(setting("MAX_FRAME_BYTES", 16384)):
            await self.send_error(_("The message is too large."))
            return
        if not self._take_token():
            await self.send_error(_("Too many messages. Please slow down."))
            return
        try:
            content = json.loads(text_data)
        except ValueError:
            await self.send_error(_("The message is not valid JSON."))
            return
        if not isinstance(content, dict) or not isinstance(content.get("type"), str):
            await self.send_error(_("The message needs a type."))
            return
        if content["type"] == "ping":
            await self.send_json({"type": "pong", "event_id": self.cursor})
            return
        try:
            await self.handle(content)
        except Exception:
            logger.exception("realtime: handling a client frame failed")
            await self.send_error(_("The message could not be processed."))

    def _take_token(self) -> bool:
        """Token bucket: ``rate_frames`` per ``rate_seconds``, bursts up to ``rate_frames``."""
        now = time.monotonic()
        refill = (now - self.bucket_at) * self.rate_frames / self.rate_seconds
        self.bucket = min(float(self.rate_frames), self.bucket + refill)
        self.bucket_at = now
        if self.bucket < 1:
            return False
        self.bucket -= 1
        return True

    async def send_json(self, content: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(content, ensure_ascii=False))

    async def send_error(self, detail: str, **extra: Any) -> None:
        await self.send_json({"type": "error", "detail": str(detail), **extra})
