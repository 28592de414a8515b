"""Writes of the realtime app: store events in the caller's transaction, wake readers on commit.

``publish`` is the one entry point. Call it inside the service's transaction, after the change
and *before* ``audit.services.record`` (the audit chain's head is the last lock a service
takes). The channel layer only carries a wake-up with a copy of the event; the stored row is
the truth, so a lost wake-up delays an event (until the next one, or the reader's poll) but
never loses it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import connection, transaction
from django.db.models import F

from realtime.models import Event, Stream, fanout_group_name, group_name_for

logger = logging.getLogger(__name__)

__all__ = ["Outgoing", "events_purge", "publish", "user_stream_key"]


def user_stream_key(user_id: int) -> str:
    """The key of a person's own stream (chat, notifications: whatever is addressed to them)."""
    return f"user.{user_id}"


@dataclass(frozen=True)
class Outgoing:
    stream: str
    kind: str
    payload: dict[str, Any]


def publish(events: Sequence[Outgoing] | Iterable[Outgoing]) -> list[Event]:
    """Store events (each gets the next ``seq`` of its stream) and wake readers after commit.

    Must run inside a transaction: the streams' rows stay locked until it commits, which keeps
    each stream's sequence gapless and committed in order. Streams are locked in key order, so
    two publishers cannot deadlock on each other's streams. Raises RuntimeError outside one.
    """
    events = list(events)
    if not events:
        return []
    if not connection.in_atomic_block:
        raise RuntimeError("realtime.publish must run inside the transaction of the change")
    keys = sorted({e.stream for e in events})
    streams = _lock_streams(keys)
    if len(streams) < len(keys):
        Stream.objects.bulk_create(
            [Stream(key=k) for k in keys if k not in streams], ignore_conflicts=True
        )
        streams = _lock_streams(keys)
    rows = []
    per_stream: dict[str, int] = {}
    for out in events:
        stream = streams[out.stream]
        stream.last_seq += 1
        per_stream[out.stream] = per_stream.get(out.stream, 0) + 1
        rows.append(Event(stream=stream, seq=stream.last_seq, kind=out.kind, payload=out.payload))
    counts = set(per_stream.values())
    if len(counts) == 1:
        # The usual fan-out (one event per stream): one plain UPDATE, the rows are locked.
        Stream.objects.filter(pk__in=[s.pk for s in streams.values()]).update(
            last_seq=F("last_seq") + counts.pop()
        )
    else:
        Stream.objects.bulk_update(list(streams.values()), ["last_seq"], batch_size=500)
    Event.objects.bulk_create(rows, batch_size=500)
    transaction.on_commit(lambda: wake(wakeups_for(rows)))
    return rows


# A transaction touching more streams than this wakes them with one message to the
# installation-wide group (one PUBLISH instead of one per stream; each process fans it out to
# its own connections, which pick their stream's events from it).
FANOUT_THRESHOLD = 8


def _lock_streams(keys: list[str]) -> dict[str, Stream]:
    locked = (
        Stream.objects.select_for_update(of=("self",), no_key=True)
        .filter(key__in=keys)
        .order_by("key")
    )
    return {s.key: s for s in locked}


def wakeups_for(rows: list[Event]) -> list[tuple[str, dict[str, Any]]]:
    streams = {e.stream_id for e in rows}
    if len(streams) > FANOUT_THRESHOLD:
        # Events sharing one payload object (a message fanned out to members) are sent once,
        # with the seq each stream gave it. Keys are strings (msgpack maps need them).
        entries: dict[tuple[str, int], dict[str, Any]] = {}
        for e in rows:
            entry = entries.setdefault(
                (e.kind, id(e.payload)), {"kind": e.kind, "payload": e.payload, "seqs": {}}
            )
            entry["seqs"].setdefault(str(e.stream_id), []).append(e.seq)
        return [
            (fanout_group_name(), {"type": "realtime.fanout", "entries": list(entries.values())})
        ]
    # One wake-up per stream and transaction, carrying that stream's new events in order.
    by_stream: dict[int, list[list[Any]]] = {}
    for e in rows:
        by_stream.setdefault(e.stream_id, []).append([e.seq, e.kind, e.payload])
    return [
        (group_name_for(stream_id), {"type": "realtime.event", "events": batch})
        for stream_id, batch in by_stream.items()
    ]


def wake(wakeups: list[tuple[str, dict[str, Any]]]) -> None:
    """Send the wake-ups through the channel layer; a failure is logged, never raised (the
    events are stored, and readers find them on the next event or poll)."""
    layer = get_channel_layer()
    if layer is None:
        return

    async def send_all() -> None:
        for group, message in wakeups:
            await layer.group_send(group, message)

    try:
        async_to_sync(send_all)()
    except Exception:  # the commit has happened; a wake-up is an optimisation
        logger.warning("realtime: %d wake-ups not sent", len(wakeups), exc_info=True)


@transaction.atomic
def events_purge(*, before: datetime) -> int:
    """Delete stored events older than ``before``; a reader resuming from before them is told to
    resync. Returns the number deleted."""
    deleted, _ = Event.objects.filter(created_at__lt=before).delete()
    return deleted
