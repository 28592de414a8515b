"""One listener per process (per event loop) for fan-out wake-ups, and one checker.

A fan-out wake-up names many streams (a message to a 1,000-member room). If every connection
joined the installation's group itself, the layer would hand each of them the whole message to
decode — 1,000 decodes of a 1,000-entry message per chat message. Instead one listener per
process joins the group, decodes each message once and hands every local connection of a named
stream just its own events. Correctness does not depend on it: a connection that misses a
wake-up finds the gap (next event, settle check or poll) and reads the store.

The checker compares the stored heads with the connections' cursors in one query per process:
SETTLE_SECONDS after activity on a stream (finds the tail of a burst whose last wake-ups a full
queue dropped) and for every open stream each POLL_SECONDS (finds a lost last wake-up).
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections import defaultdict
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections

from realtime import selectors
from realtime.models import fanout_group_name

logger = logging.getLogger(__name__)


def read(func: Any) -> Any:
    """Run a database read in a worker thread of its own, not Django's single thread-sensitive
    thread that serves every request's sync code (hundreds of connections checking their
    stream's head would otherwise queue behind requests, and requests behind them)."""

    def call(*args: Any, **kwargs: Any) -> Any:
        close_old_connections()
        try:
            return func(*args, **kwargs)
        finally:
            close_old_connections()

    return sync_to_async(call, thread_sensitive=False)


def setting(name: str, default: Any) -> Any:
    return getattr(settings, "REALTIME", {}).get(name, default)


# Re-join the group now and then: the in-memory layer forgets group members after a day.
REJOIN_SECONDS = 3600


class Dispatcher:
    def __init__(self) -> None:
        self.consumers: dict[int, set[Any]] = defaultdict(set)
        self.task: asyncio.Task | None = None
        self.starting = asyncio.Lock()
        self.pending: set[asyncio.Future] = set()
        self.touched_streams: set[int] = set()
        self.checker: asyncio.Task | None = None

    async def register(self, consumer: Any) -> None:
        self.consumers[consumer.stream_id].add(consumer)
        if self.task is None or self.task.done():
            async with self.starting:
                if self.task is None or self.task.done():
                    layer = consumer.channel_layer
                    channel = await layer.new_channel("realtime-fanout.")
                    await layer.group_add(fanout_group_name(), channel)
                    self.task = asyncio.ensure_future(self._listen(layer, channel))
        if self.checker is None or self.checker.done():
            self.checker = asyncio.ensure_future(self._check())

    def unregister(self, consumer: Any) -> None:
        members = self.consumers.get(consumer.stream_id)
        if members is not None:
            members.discard(consumer)
            if not members:
                del self.consumers[consumer.stream_id]

    def touched(self, stream_id: int) -> None:
        self.touched_streams.add(stream_id)

    async def _check(self) -> None:
        loop = asyncio.get_running_loop()
        last_full = loop.time()
        while True:
            poll = float(setting("POLL_SECONDS", 15))
            settle = float(setting("SETTLE_SECONDS", 1))
            await asyncio.sleep(min(poll, settle))
            full = loop.time() - last_full >= poll
            if full:
                last_full = loop.time()
            ids = set(self.consumers) if full else self.touched_streams & set(self.consumers)
            self.touched_streams = set()
            if not ids:
                continue
            try:
                heads = await read(selectors.stream_heads)(sorted(ids))
            except Exception:
                logger.exception("realtime: checking stream heads failed")
                continue
            for stream_id, head in heads.items():
                for consumer in list(self.consumers.get(stream_id, ())):
                    cursor = getattr(consumer, "cursor", None)  # None: still connecting
                    if cursor is not None and head > cursor:
                        self._spawn(consumer.check(head))

    def _spawn(self, coroutine: Any) -> None:
        future = asyncio.ensure_future(coroutine)
        self.pending.add(future)
        future.add_done_callback(self.pending.discard)

    async def _listen(self, layer: Any, channel: str) -> None:
        loop = asyncio.get_running_loop()
        joined_at = loop.time()
        while True:
            try:
                message = await asyncio.wait_for(layer.receive(channel), REJOIN_SECONDS)
            except TimeoutError:
                message = None
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("realtime: fan-out listener failed to receive")
                await asyncio.sleep(1)
                continue
            if loop.time() - joined_at > REJOIN_SECONDS:
                await layer.group_add(fanout_group_name(), channel)
                joined_at = loop.time()
            if message and message.get("type") == "realtime.fanout":
                self.dispatch(message)

    def dispatch(self, message: dict[str, Any]) -> None:
        per_stream: dict[int, list[tuple[int, str, Any]]] = defaultdict(list)
        for entry in message["entries"]:
            for stream, seqs in entry["seqs"].items():
                stream_id = int(stream)
                if stream_id in self.consumers:
                    per_stream[stream_id].extend(
                        (seq, entry["kind"], entry["payload"]) for seq in seqs
                    )
        for stream_id, events in per_stream.items():
            events.sort(key=lambda e: e[0])
            for consumer in list(self.consumers.get(stream_id, ())):
                self._spawn(consumer.wake_from_dispatch(events))


_dispatchers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Dispatcher] = (
    weakref.WeakKeyDictionary()
)


def dispatcher() -> Dispatcher:
    """The dispatcher of the running event loop (one per process in a server)."""
    loop = asyncio.get_running_loop()
    if loop not in _dispatchers:
        _dispatchers[loop] = Dispatcher()
    return _dispatchers[loop]
