"""The chain under real concurrency (PostgreSQL, threads and a killed process).

Writers keep their events to the very end of their transaction, so the chain head is locked only
for its last statements: many writers at once still form one chain in commit order, a long
transaction does not hold up anybody's audit until it ends, and a writer killed at any point
leaves a chain that verifies with every committed event in it.

Every wait is bounded: threads are joined with a timeout, events are waited for with one, and
transactions run under ``SET LOCAL lock_timeout`` so a lock wait that should not exist fails the
test instead of hanging it.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import OperationalError, connection, transaction

from audit import chaining, selectors
from audit.models import AuditEvent
from audit.selectors import chain_verify
from audit.services import record
from audit.transactions import run_atomic
from tests.audit.conftest import head, trigger_disabled
from tests.services import on_postgresql, require

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
JOIN_TIMEOUT = 120
TABLE = "audit_test_business"  # a stand-in for a service's own rows


@pytest.fixture
def business_table() -> Iterator[None]:
    """A table of business rows written in the same transactions as their events."""
    require(on_postgresql(), "PostgreSQL needed: SQLite has one writer at a time")
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE {TABLE} (id bigserial PRIMARY KEY, writer int NOT NULL, i int NOT NULL)"
        )
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {TABLE}")


def limit_lock_waits(seconds: int = 10) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL lock_timeout = '{seconds}s'")


def insert_row(writer: int, i: int) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {TABLE} (writer, i) VALUES (%s, %s) RETURNING id",  # noqa: S608
            [writer, i],
        )
        return cursor.fetchone()[0]


def committed_rows() -> set[int]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id FROM {TABLE}")  # noqa: S608
        return {row for (row,) in cursor.fetchall()}


def head_is_free() -> bool:
    """Whether another transaction could lock the chain head right now (NOWAIT)."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM audit_auditchainhead WHERE id = 1 FOR UPDATE NOWAIT")
        return True
    except OperationalError as exc:
        if getattr(exc.__cause__, "sqlstate", None) != "55P03":  # lock_not_available
            raise
        return False


def in_thread(target: Callable[[], Any]) -> tuple[threading.Thread, dict[str, Any]]:
    """Run ``target`` on its own thread and connection; its result or error lands in the dict."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = target()
        except BaseException as exc:  # reported by the test: a thread's exception is otherwise lost
            outcome["error"] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


def join(thread: threading.Thread) -> None:
    thread.join(timeout=JOIN_TIMEOUT)
    assert not thread.is_alive(), "a writer is still running: a lock wait that should not exist?"


def events_by_row() -> dict[int, list[int]]:
    """The seqs of each business row's events (each event names its row in details)."""
    seqs: dict[int, list[int]] = {}
    for seq, details in AuditEvent.objects.order_by("seq").values_list("seq", "details"):
        seqs.setdefault(details["row"], []).append(seq)
    return seqs


def test_many_concurrent_writers_form_one_chain_in_commit_order(business_table):
    writers, per_writer = 8, 25
    start = threading.Barrier(writers, timeout=30)
    # For each transaction (by its row): the rows it saw committed before its own end.
    seen_before_end: dict[int, set[int]] = {}
    failures: list[BaseException] = []

    def writer(n: int) -> None:
        start.wait()
        for i in range(per_writer):

            def work(i: int = i) -> None:
                limit_lock_waits()
                row = insert_row(n, i)
                record(action="test.concurrent", details={"writer": n, "i": i, "row": row})
                time.sleep(random.uniform(0, 0.004))
                record(action="test.concurrent.more", details={"writer": n, "i": i, "row": row})
                # The last statement of the body: every row committed by now was committed
                # before this transaction chains its events, so its events must come first.
                seen_before_end[row] = committed_rows() - {row}

            run_atomic(work)

    threads = [in_thread(lambda n=n: writer(n)) for n in range(writers)]
    for thread, outcome in threads:
        join(thread)
        if "error" in outcome:
            failures.append(outcome["error"])
    assert failures == []

    result = chain_verify()
    total = writers * per_writer * 2
    assert (result.ok, result.count) == (True, total), result.reason
    assert head().last_seq == total
    by_row = events_by_row()
    assert set(by_row) == committed_rows()  # every committed change has its events...
    assert len(by_row) == writers * per_writer  # ...and no event lacks its change
    for row, seqs in by_row.items():
        assert seqs == [seqs[0], seqs[0] + 1], row  # one transaction's events stay together
        for earlier in seen_before_end[row]:
            assert by_row[earlier][-1] < seqs[0], (earlier, row)  # chain order = commit order
    for n in range(writers):
        mine = AuditEvent.objects.filter(action="test.concurrent", details__writer=n)
        assert [e.details["i"] for e in mine.order_by("seq")] == list(range(per_writer))
    # Interleaved writers still make a chain that shows a reordering.
    first, second = AuditEvent.objects.order_by("seq")[10:12]
    with trigger_disabled():
        AuditEvent.objects.filter(pk=first.pk).update(seq=10_000_000)
        AuditEvent.objects.filter(pk=second.pk).update(seq=first.seq)
        AuditEvent.objects.filter(pk=first.pk).update(seq=second.seq)
    broken = chain_verify()
    assert (broken.ok, broken.first_bad_seq, broken.problem) == (False, 11, selectors.CHANGED)


class LongTransaction:
    """A service on its own thread that records an event, changes a row, and then holds its
    transaction open (its body still running) until ``finish()``."""

    def __init__(self) -> None:
        self.in_body = threading.Event()
        self.finish_body = threading.Event()
        self.thread, self.outcome = in_thread(lambda: run_atomic(self._work))

    def _work(self) -> None:
        limit_lock_waits()
        row = insert_row(1, 1)
        record(action="test.long.first", details={"row": row})
        self.in_body.set()
        assert self.finish_body.wait(timeout=60), "never told to finish"
        record(action="test.long.last", details={"row": row})

    def __enter__(self) -> LongTransaction:
        assert self.in_body.wait(timeout=30), self.outcome
        return self

    def __exit__(self, *exc: object) -> None:
        self.finish_body.set()
        join(self.thread)


def test_a_long_transaction_does_not_hold_the_head_during_its_body(business_table):
    record(action="test.before", details={"row": 0})  # the head row exists, committed
    with LongTransaction() as long:
        # Its event is recorded and its row changed, yet the head is free...
        assert head_is_free()

        # ...so another service audits and commits at once (a wait would time out in 1 s).
        def short() -> None:
            limit_lock_waits(1)
            record(action="test.short", details={"row": insert_row(2, 1)})

        run_atomic(short)
        assert list(AuditEvent.objects.order_by("seq").values_list("action", flat=True)) == [
            "test.before",
            "test.short",
        ]
    assert "error" not in long.outcome, long.outcome

    # The chain order is the commit order, not the order the events were recorded in.
    actions = list(AuditEvent.objects.order_by("seq").values_list("action", flat=True))
    assert actions == ["test.before", "test.short", "test.long.first", "test.long.last"]
    assert chain_verify().ok


def test_chaining_at_once_would_hold_the_head_for_the_whole_body(business_table, settings):
    """The same measurement with the previous design (the benchmark's "eager" mode): the head
    is taken by the first event and held to the end, so the check above would fail."""
    settings.AUDIT_BENCHMARK_CHAINING = chaining.EAGER
    record(action="test.before", details={"row": 0})
    with LongTransaction():
        assert not head_is_free()
    assert chain_verify().ok


def test_a_writer_killed_while_it_holds_the_head_loses_only_its_own_change(
    business_table, monkeypatch
):
    """The worst moment: its events are chained, the head is locked, COMMIT not yet sent."""
    chained = threading.Event()
    never = threading.Event()
    victim: dict[str, Any] = {}
    write = chaining._write

    def write_then_stall(events: list[AuditEvent], **options: Any) -> None:
        write(events, **options)
        if threading.get_ident() == victim.get("thread"):
            chained.set()
            never.wait(timeout=30)  # until its connection has been killed

    monkeypatch.setattr(chaining, "_write", write_then_stall)

    def victim_work() -> None:
        limit_lock_waits()
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            victim["pid"] = cursor.fetchone()[0]
        victim["row"] = insert_row(0, 0)
        record(action="test.victim", details={"row": victim["row"]})

    def victim_run() -> None:
        victim["thread"] = threading.get_ident()
        run_atomic(victim_work)

    record(action="test.before", details={"row": 0})
    victim_thread, victim_outcome = in_thread(victim_run)
    assert chained.wait(timeout=30), victim_outcome
    assert not head_is_free()

    # Writers that queue behind the stalled one for the head.
    def writer(n: int) -> None:
        def work() -> None:
            limit_lock_waits(30)
            record(action="test.after", details={"row": insert_row(n, 1)})

        run_atomic(work)

    others = [in_thread(lambda n=n: writer(n)) for n in range(1, 5)]
    time.sleep(0.3)  # let them reach the head lock
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [victim["pid"]])
        assert cursor.fetchone()[0]
    never.set()
    join(victim_thread)
    for thread, outcome in others:
        join(thread)
        assert "error" not in outcome, outcome

    assert "error" in victim_outcome  # its COMMIT never happened
    assert victim["row"] not in committed_rows()
    result = chain_verify()
    assert (result.ok, result.count) == (True, 5), result.reason
    assert set(events_by_row()) == committed_rows() | {0}
    assert not AuditEvent.objects.filter(action="test.victim").exists()


# The writer process: Django on the test database, a service that records an event and is killed
# with SIGKILL (no chance to clean up) either in its body or after chaining, before COMMIT.
WRITER_SCRIPT = """
import os, signal, sys
import django
django.setup()
from django.db import connection
from audit import chaining
from audit.services import record
from audit.transactions import run_atomic

where = sys.argv[1]
write = chaining._write

def write_then_die(events, **options):
    write(events, **options)
    print("chained", flush=True)
    os.kill(os.getpid(), signal.SIGKILL)

chaining._write = write_then_die

def work():
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO audit_test_business (writer, i) VALUES (99, 0) RETURNING id")
        row = cursor.fetchone()[0]
    record(action="test.killed", details={"row": row})
    if where == "body":
        print("in body", flush=True)
        os.kill(os.getpid(), signal.SIGKILL)

run_atomic(work)
"""


@pytest.mark.parametrize("where", ["body", "chained"])
def test_a_writer_process_killed_with_sigkill_leaves_a_verifiable_chain(
    business_table, tmp_path, where
):
    record(action="test.before", details={"row": 0})
    db = connection.settings_dict
    env = {k: v for k, v in os.environ.items() if not k.startswith("KAIRAN_")}
    env |= {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "KAIRAN_DATA_DIR": str(tmp_path),
        "KAIRAN_SECRET_KEY": "test-only",
        "KAIRAN_DB_POOL_SIZE": "0",
        "KAIRAN_DATABASE_URL": (
            f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:"
            f"{db['PORT'] or 5432}/{db['NAME']}"
        ),
    }
    process = subprocess.Popen(
        [sys.executable, "-c", WRITER_SCRIPT, where],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
    assert process.returncode == -signal.SIGKILL, stderr
    assert stdout.split() == (["in", "body"] if where == "body" else ["chained"]), stderr

    # The dead writer's transaction is gone with its locks: the next one audits at once.
    def after() -> None:
        limit_lock_waits(10)
        record(action="test.after", details={"row": insert_row(1, 1)})

    run_atomic(after)

    result = chain_verify()
    assert (result.ok, result.count) == (True, 2), result.reason
    assert list(AuditEvent.objects.order_by("seq").values_list("action", flat=True)) == [
        "test.before",
        "test.after",
    ]
    assert not any(writer == 99 for writer in _writers())


def _writers() -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT writer FROM {TABLE}")  # noqa: S608
        return [writer for (writer,) in cursor.fetchall()]
