"""One listener per process (per event loop) for fan-out wake-ups.

A fan-out wake-up names many streams (a message to a 1,000-member room). If every connection
joined the installation's group itself, the layer would hand each of them the whole message to
decode — 1,000 decodes of a 1,000-entry message per chat message. Instead one listener per
process joins the group, decodes each message once and hands every local connection of a named
stream just its own events. Correctness does not depend on it: a connection that misses a
wake-up finds the gap (next event, settle check or poll) and reads the store.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections import defaultdict
from typing import Any

from realtime.models import fanout_group_name

logger = logging.getLogger(__name__)

# Re-join the group now and then: the in-memory layer forgets group members after a day.
REJOIN_SECONDS = 3600


class Dispatcher:
    def __init__(self) -> None:
        self.consumers: dict[int, set[Any]] = defaultdict(set)
        self.task: asyncio.Task | None = None
        self.starting = asyncio.Lock()
        self.pending: set[asyncio.Future] = set()

    async def register(self, consumer: Any) -> None:
        self.consumers[consumer.stream_id].add(consumer)
        if self.task is None or self.task.done():
            async with self.starting:
                if self.task is None or self.task.done():
                    layer = consumer.channel_layer
                    channel = await layer.new_channel("realtime-fanout.")
                    await layer.group_add(fanout_group_name(), channel)
                    self.task = asyncio.ensure_future(self._listen(layer, channel))

    def unregister(self, consumer: Any) -> None:
        members = self.consumers.get(consumer.stream_id)
        if members is not None:
            members.discard(consumer)
            if not members:
                del self.consumers[consumer.stream_id]

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
                future = asyncio.ensure_future(consumer.wake_from_dispatch(events))
                self.pending.add(future)
                future.add_done_callback(self.pending.discard)


_dispatchers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Dispatcher] = (
    weakref.WeakKeyDictionary()
)


def dispatcher() -> Dispatcher:
    """The dispatcher of the running event loop (one per process in a server)."""
    loop = asyncio.get_running_loop()
    if loop not in _dispatchers:
        _dispatchers[loop] = Dispatcher()
    return _dispatchers[loop]
