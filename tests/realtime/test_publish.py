"""realtime.publish: per-stream sequence numbers that are gapless and commit in order, so a
reader that asks the store for "everything after N" never skips an event that commits late."""

from __future__ import annotations

import random
import threading
import time

import pytest
from django.db import connection, transaction

from realtime.models import Event, Stream
from realtime.selectors import events_after, stream_ensure
from realtime.services import Outgoing, publish


@pytest.mark.django_db(transaction=True)
def test_publish_outside_a_transaction_is_refused():
    with pytest.raises(RuntimeError):
        publish([Outgoing("s.1", "x", {})])


@pytest.mark.django_db
def test_sequence_numbers_are_per_stream_and_gapless():
    with transaction.atomic():
        publish([Outgoing("a", "k", {"n": 1}), Outgoing("b", "k", {"n": 1})])
    with transaction.atomic():
        publish([Outgoing("a", "k", {"n": 2}), Outgoing("a", "k", {"n": 3})])

    def rolled_back():
        with transaction.atomic():
            publish([Outgoing("a", "k", {"n": "rolled back"})])
            raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        rolled_back()
    with transaction.atomic():
        publish([Outgoing("a", "k", {"n": 4})])
    a, _ = stream_ensure("a")
    assert [(seq, p["n"]) for seq, _, p in events_after(stream_id=a, after=0, limit=10)] == [
        (1, 1),
        (2, 2),
        (3, 3),
        (4, 4),
    ]
    assert Stream.objects.get(key="b").last_seq == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_publishers_never_let_a_reader_skip_a_late_commit():
    """16 threads publish to one stream and linger a random while before COMMIT; a reader polls
    "after my cursor" all along. With ids from a global sequence a slow transaction's smaller id
    commits after a larger one and the reader moves past it; with the stream's row lock the
    reader sees every event exactly once, in order."""
    stream_id, _ = stream_ensure("race")
    writers, per_writer = 16, 10
    seen: list[int] = []
    stop = threading.Event()
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        rng = random.Random(n)
        try:
            for i in range(per_writer):
                with transaction.atomic():
                    publish([Outgoing("race", "k", {"w": n, "i": i})])
                    time.sleep(rng.random() * 0.01)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    def reader() -> None:
        cursor = 0
        deadline = time.monotonic() + 60
        try:
            while time.monotonic() < deadline:
                rows = events_after(stream_id=stream_id, after=cursor, limit=1000)
                for seq, _, _ in rows:
                    seen.append(seq)
                    cursor = seq
                if stop.is_set() and not rows:
                    return
                time.sleep(0.001)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(writers)]
    read = threading.Thread(target=reader)
    read.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    stop.set()
    read.join(60)
    assert not errors
    total = writers * per_writer
    assert seen == list(range(1, total + 1))
    assert Event.objects.filter(stream_id=stream_id).count() == total


@pytest.mark.django_db
def test_realtime_purge_deletes_old_events_only():
    from datetime import timedelta
    from io import StringIO

    from django.core.management import call_command
    from django.utils import timezone

    with transaction.atomic():
        publish([Outgoing("p", "k", {"n": 1}), Outgoing("p", "k", {"n": 2})])
    Event.objects.filter(seq=1).update(created_at=timezone.now() - timedelta(days=40))
    out = StringIO()
    call_command("realtime_purge", "--days", "30", stdout=out)
    assert out.getvalue().strip() == "deleted 1 events"
    assert list(Event.objects.values_list("seq", flat=True)) == [2]
