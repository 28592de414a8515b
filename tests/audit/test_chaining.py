"""Events of a service's transaction are chained at its very end (audit.chaining), on every
database: what is kept, what vanishes with a rolled-back savepoint, what is chained at once."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.db import DatabaseError, OperationalError, transaction

from audit import chaining
from audit.chain import GENESIS_HASH
from audit.models import AuditEvent
from audit.selectors import chain_verify
from audit.services import EventSpec, record, record_many
from audit.transactions import atomic_service, run_atomic
from tests.audit.conftest import head
from tests.factories import UserFactory

# Each test twice: the service inside the test's transaction (a savepoint), and the service as
# the outermost transaction, as in production (where it also runs again on a lock conflict).
BOTH = pytest.mark.parametrize(
    "owning",
    [
        pytest.param(False, marks=pytest.mark.django_db, id="nested"),
        pytest.param(True, marks=pytest.mark.django_db(transaction=True), id="owning"),
    ],
)


ROOT = Path(__file__).resolve().parents[2]
APPS = ("audit", "directory", "documents", "workflow", "chat", "council", "realtime", "config")


def actions() -> list[str]:
    return list(AuditEvent.objects.order_by("seq").values_list("action", flat=True))


def assert_chain(expected: list[str]) -> None:
    assert actions() == expected
    result = chain_verify()
    assert (result.ok, result.count) == (True, len(expected)), result.reason
    assert (head().last_seq if expected else chain_verify().head_hash) == (
        len(expected) if expected else GENESIS_HASH
    )


@BOTH
def test_a_service_keeps_its_events_and_chains_them_when_it_ends(owning):
    seen_inside: dict[str, object] = {}

    @atomic_service
    def service() -> list[AuditEvent]:
        first = record(action="test.first", details={"n": 1})
        second = record(action="test.second", details={"n": 2})
        seen_inside["deferring"] = chaining.is_deferring()
        seen_inside["stored"] = AuditEvent.objects.count()
        seen_inside["seqs"] = (first.seq, second.seq)
        return [first, second]

    events = service()

    # Nothing was written (and the head not touched) while the service ran.
    assert seen_inside == {"deferring": True, "stored": 0, "seqs": (None, None)}
    # At its end the very objects record() returned got their place on the chain.
    assert [(e.seq, e.pk is not None) for e in events] == [(1, True), (2, True)]
    assert events[1].prev_hash == events[0].hash
    assert_chain(["test.first", "test.second"])
    assert not chaining.is_deferring()


@BOTH
def test_events_of_a_rolled_back_savepoint_vanish_and_of_a_released_one_stay(owning):
    class Undo(Exception):
        pass

    @transaction.atomic
    def rolled_back() -> None:
        record(action="test.gone.outer")
        UserFactory(username="gone_outer")
        with transaction.atomic():  # released, but inside the savepoint rolled back below
            record(action="test.gone.inner")
            UserFactory(username="gone_inner")
        raise Undo

    def work() -> None:
        record(action="test.kept.before")
        UserFactory(username="kept_before")
        with pytest.raises(Undo):
            rolled_back()
        with transaction.atomic():  # released: its event stays
            record_many([EventSpec(action="test.kept.a"), EventSpec(action="test.kept.b")])
            UserFactory(username="kept_savepoint")
        record(action="test.kept.after")

    run_atomic(work)

    assert_chain(["test.kept.before", "test.kept.a", "test.kept.b", "test.kept.after"])
    usernames = set(get_user_model().objects.values_list("username", flat=True))
    assert {"kept_before", "kept_savepoint"} <= usernames
    assert not usernames & {"gone_outer", "gone_inner"}


@BOTH
def test_a_failed_service_leaves_no_event_and_the_chain_continues(owning):
    record(action="test.before")

    @atomic_service
    def failing() -> None:
        record(action="test.rolled_back")
        raise RuntimeError("the change failed")

    with pytest.raises(RuntimeError):
        failing()
    record(action="test.after")

    assert_chain(["test.before", "test.after"])


@BOTH
def test_a_service_marked_for_rollback_writes_nothing(owning):
    def work() -> None:
        record(action="test.rolled_back")
        transaction.set_rollback(True)

    run_atomic(work)
    record(action="test.after")

    assert_chain(["test.after"])


@BOTH
def test_a_nested_service_is_chained_by_the_outer_one_and_vanishes_with_its_savepoint(owning):
    order: list[tuple[str, bool]] = []

    @atomic_service
    def inner(action: str, fail: bool = False) -> None:
        record(action=action)
        order.append((action, chaining.is_deferring()))
        if fail:
            raise ValueError(action)

    @atomic_service
    def outer() -> None:
        record(action="test.outer.first")
        inner("test.inner.ok")
        with pytest.raises(ValueError, match="failed"):
            inner("test.inner.failed", fail=True)
        order.append(("stored inside", AuditEvent.objects.exists()))
        record(action="test.outer.last")

    outer()

    assert order == [
        ("test.inner.ok", True),
        ("test.inner.failed", True),
        ("stored inside", False),
    ]
    assert_chain(["test.outer.first", "test.inner.ok", "test.outer.last"])


@BOTH
def test_outside_a_service_an_event_is_chained_at_once_and_interleaves_in_order(owning):
    with transaction.atomic():  # a plain transaction (a management command, a receiver)
        first = record(action="test.plain.first")
        assert (first.seq, head().last_seq) == (1, 1)  # written and chained already
        run_atomic(lambda: record(action="test.service"))
        assert head().last_seq == 2  # the service's events, chained at the service's end
        last = record(action="test.plain.last")
        assert last.seq == 3
    assert_chain(["test.plain.first", "test.service", "test.plain.last"])


@BOTH
def test_in_autocommit_an_event_is_its_own_transaction(owning):
    event = record(action="test.alone")
    assert event.seq == 1
    assert_chain(["test.alone"])


@BOTH
def test_a_run_again_after_a_lock_conflict_keeps_only_the_last_attempts_events(owning):
    attempts: list[int] = []

    class Conflict(OperationalError):
        sqlstate = "40P01"  # what psycopg sets on a deadlock

    def work() -> int:
        attempts.append(len(attempts) + 1)
        record(action="test.attempt", details={"attempt": len(attempts)})
        if len(attempts) == 1:
            raise Conflict("deadlock detected")
        return len(attempts)

    assert transaction.get_connection().in_atomic_block is not owning
    if not owning:
        # Inside the test's transaction the conflict belongs to its owner: no run again.
        with pytest.raises(DatabaseError):
            run_atomic(work)
        assert_chain([])
        return
    assert run_atomic(work) == 2
    assert [e.details for e in AuditEvent.objects.all()] == [{"attempt": 2}]
    assert_chain(["test.attempt"])


@BOTH
def test_a_sync_sized_batch_is_chained_in_one_go(owning):
    """More events than one INSERT takes (a directory sync, a reorganisation)."""
    specs = [EventSpec(action="test.bulk", details={"n": n}) for n in range(1201)]
    events = run_atomic(lambda: record_many(specs))

    assert [e.seq for e in events] == list(range(1, 1202))
    assert len({e.pk for e in events}) == 1201
    stored = dict(AuditEvent.objects.values_list("pk", "seq"))
    assert all(stored[e.pk] == e.seq for e in events)
    result = chain_verify(batch_size=500)
    assert (result.ok, result.count, result.head_hash) == (True, 1201, events[-1].hash)


@pytest.mark.django_db
def test_the_empty_callbacks_do_not_disturb_on_commit_work(django_capture_on_commit_callbacks):
    ran: list[str] = []

    def work() -> None:
        record(action="test.with_callback")
        transaction.on_commit(lambda: ran.append("after commit"))

    with django_capture_on_commit_callbacks(execute=True):
        run_atomic(work)

    assert ran == ["after commit"]
    assert_chain(["test.with_callback"])


def test_no_code_uses_the_manual_savepoint_api():
    """Events kept for the end of a service vanish with a savepoint of a ``transaction.atomic``
    block that is rolled back. ``transaction.savepoint()``/``savepoint_rollback()`` bypass the
    bookkeeping that tells (Django's on-commit callbacks have the same limit), so the project
    does not use them: roll back a part of a service with a nested ``transaction.atomic``."""
    offenders = [
        f"{path.relative_to(ROOT)}:{text.count(chr(10), 0, match.start()) + 1}"
        for app in APPS
        for path in (ROOT / app).rglob("*.py")
        for text in [path.read_text(encoding="utf-8")]
        for match in re.finditer(r"\bsavepoint(_rollback|_commit)?\(|ROLLBACK TO", text)
    ]
    assert offenders == []


# --- the benchmark's switches (bench/bench_audit_chain.py) -----------------------------------


@BOTH
def test_benchmark_eager_mode_chains_at_once_as_before_issue_14(owning, settings):
    settings.AUDIT_BENCHMARK_CHAINING = chaining.EAGER
    seqs: list[int | None] = []
    run_atomic(lambda: seqs.append(record(action="test.eager").seq))
    assert seqs == [1]
    assert_chain(["test.eager"])


@pytest.mark.django_db
def test_benchmark_off_mode_writes_the_same_rows_without_a_chain(settings):
    settings.AUDIT_BENCHMARK_CHAINING = chaining.OFF
    run_atomic(
        lambda: record_many([EventSpec(action="test.off.a"), EventSpec(action="test.off.b")])
    )
    events = list(AuditEvent.objects.all())
    assert sorted(e.action for e in events) == ["test.off.a", "test.off.b"]
    assert all(e.prev_hash == "" and len(e.hash) == 64 for e in events)
    assert not head_exists()
    assert not chain_verify().ok  # such a log is only good for measuring


def head_exists() -> bool:
    from audit.models import AuditChainHead

    return AuditChainHead.objects.exists()
