"""chain_verify() and ``manage.py audit_verify`` against every kind of tampering."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from audit import selectors
from audit.chain import GENESIS_HASH
from audit.models import AuditChainHead, AuditEvent
from audit.selectors import chain_verify
from audit.services import record
from tests.audit.conftest import head, rehash, tamper, trigger_disabled

pytestmark = pytest.mark.django_db

BASE_DIR = Path(__file__).resolve().parents[2]


def run_verify(*args: str) -> list[str]:
    out = StringIO()
    call_command("audit_verify", *args, stdout=out)
    return out.getvalue().splitlines()


def run_verify_failing(*args: str) -> str:
    with pytest.raises(CommandError) as failure:
        call_command("audit_verify", *args, stdout=StringIO())
    assert failure.value.returncode == 1
    return str(failure.value)


def assert_broken_at(seq: int | None, event_id: int | None, problem: str) -> None:
    result = chain_verify()
    assert not result.ok
    assert (result.first_bad_seq, result.first_bad_id, result.problem) == (seq, event_id, problem)
    assert result.reason
    message = run_verify_failing()
    if seq is not None:
        named = f"(id {event_id})" if event_id is not None else "(missing)"
        assert f"event #{seq} {named}" in message
    assert f"[{problem}]" in message


# --- intact ---------------------------------------------------------------------------------


def test_intact_chain_prints_ok_and_the_head_hash(ten_events):
    lines = run_verify()
    assert lines[0] == "OK 10 events"
    assert lines[1] == ten_events[-1].hash == head().last_hash


def test_empty_log_is_ok():
    assert run_verify() == ["OK 0 events", GENESIS_HASH]


def test_small_batches_cover_the_whole_chain(ten_events):
    assert chain_verify(batch_size=3).count == 10
    tamper(8, action="test.forged")
    result = chain_verify(batch_size=3)
    assert (result.first_bad_seq, result.count) == (8, 7)


# --- one field of one event changed -----------------------------------------------------------


@pytest.mark.parametrize(
    "changes",
    [
        {"details": {"n": 5, "名前": "改ざん"}},
        {"action": "test.forged"},
        {"actor_username": "mallory"},
        {"actor_id": 999},
        {"target_id": "999"},
        {"client_address": "198.51.100.1"},
    ],
    ids=lambda c: next(iter(c)),
)
def test_changed_field_names_the_event(ten_events, changes):
    tamper(5, **changes)
    assert_broken_at(5, ten_events[4].id, selectors.CHANGED)


def test_changed_time_names_the_event(ten_events):
    tamper(5, at=ten_events[4].at + timedelta(seconds=1))
    assert_broken_at(5, ten_events[4].id, selectors.CHANGED)


def test_changed_and_rehashed_event_is_named_by_its_successor(ten_events):
    forged = ten_events[4]
    forged.action = "test.forged"
    tamper(5, action="test.forged", hash=rehash(forged))
    assert_broken_at(5, forged.id, selectors.LINK_BROKEN)


# --- deleted, swapped, inserted -------------------------------------------------------------


def test_deleted_middle_event(ten_events):
    with trigger_disabled():
        AuditEvent.objects.filter(seq=5).delete()
    assert_broken_at(5, None, selectors.MISSING)


def test_deleted_last_event_is_found_through_the_head(ten_events):
    with trigger_disabled():
        AuditEvent.objects.filter(seq=10).delete()
    assert_broken_at(10, None, selectors.MISSING)


def test_every_event_deleted_is_found_through_the_head(ten_events):
    with trigger_disabled():
        AuditEvent.objects.all().delete()
    assert_broken_at(1, None, selectors.MISSING)


def test_swapped_sequence_numbers(ten_events):
    third, fourth = ten_events[2], ten_events[3]
    with trigger_disabled():
        AuditEvent.objects.filter(pk=third.pk).update(seq=1000)
        AuditEvent.objects.filter(pk=fourth.pk).update(seq=3)
        AuditEvent.objects.filter(pk=third.pk).update(seq=4)
    assert_broken_at(3, fourth.id, selectors.CHANGED)


def test_swapped_contents_with_their_hashes(ten_events):
    third, fourth = ten_events[2], ten_events[3]
    fields = ["at", "actor_id", "actor_username", "action", "target_id", "details"]
    fields += ["client_address", "prev_hash"]
    with trigger_disabled():
        AuditEvent.objects.filter(pk=third.pk).update(hash="f" * 64)  # hash is unique
        AuditEvent.objects.filter(pk=fourth.pk).update(
            hash=third.hash, **{f: getattr(third, f) for f in fields}
        )
        AuditEvent.objects.filter(pk=third.pk).update(
            hash=fourth.hash, **{f: getattr(fourth, f) for f in fields}
        )
    assert_broken_at(3, third.id, selectors.CHANGED)


def _make_room_at(seq: int) -> None:
    """Renumber events seq.. one up, from the end (seq is unique)."""
    with trigger_disabled():
        for event in AuditEvent.objects.filter(seq__gte=seq).order_by("-seq"):
            AuditEvent.objects.filter(pk=event.pk).update(seq=event.seq + 1)


def test_forged_event_inserted_in_the_middle(ten_events):
    _make_room_at(5)
    with trigger_disabled():
        forged = AuditEvent.objects.create(
            seq=5,
            at=ten_events[3].at,
            action="test.forged",
            prev_hash=ten_events[3].hash,
            hash="e" * 64,
        )
    assert_broken_at(5, forged.id, selectors.CHANGED)


def test_forged_event_inserted_with_a_correct_hash_breaks_the_next(ten_events):
    """A forger who knows the hashing still cannot renumber the events after theirs."""
    _make_room_at(5)
    forged = AuditEvent(
        seq=5, at=ten_events[3].at, action="test.forged", prev_hash=ten_events[3].hash
    )
    forged.hash = rehash(forged)
    with trigger_disabled():
        forged.save()
    AuditChainHead.objects.filter(pk=1).update(last_seq=11)
    assert_broken_at(6, ten_events[4].id, selectors.CHANGED)


def test_event_appended_without_the_head_lock(ten_events):
    extra = AuditEvent(
        seq=11, at=timezone.now(), action="test.sneaked_in", prev_hash=ten_events[-1].hash
    )
    extra.hash = rehash(extra)
    extra.save()
    assert_broken_at(11, extra.id, selectors.BEYOND_HEAD)


def test_head_pointing_elsewhere(ten_events):
    AuditChainHead.objects.filter(pk=1).update(last_hash="d" * 64)
    assert_broken_at(10, ten_events[-1].id, selectors.HEAD_MISMATCH)


def test_head_row_deleted(ten_events):
    AuditChainHead.objects.all().delete()
    assert_broken_at(None, None, selectors.HEAD_MISSING)


# --- anchoring with --expect-head -------------------------------------------------------------


def _rewrite_from(seq: int) -> None:
    """What a database superuser can do: change an event and re-hash everything after it."""
    prev = AuditEvent.objects.get(seq=seq - 1).hash
    with trigger_disabled():
        for event in AuditEvent.objects.filter(seq__gte=seq).order_by("seq"):
            if event.seq == seq:
                event.details = {"rewritten": True}
            event.prev_hash = prev
            event.hash = rehash(event)
            event.save()
            prev = event.hash
    AuditChainHead.objects.filter(pk=1).update(last_hash=prev)


def test_wholesale_rewrite_passes_alone_but_fails_against_the_written_down_head(ten_events):
    written_down = run_verify()[1]
    _rewrite_from(5)

    assert chain_verify().ok  # the limitation the anchor exists for
    assert run_verify()[1] != written_down
    message = run_verify_failing("--expect-head", written_down)
    assert "[anchor_not_found]" in message
    assert chain_verify(expect_head=written_down).problem == selectors.ANCHOR_NOT_FOUND


def test_expect_head_passes_after_the_log_has_grown(ten_events):
    written_down = run_verify()[1]
    record(action="test.later")
    record(action="test.later")

    lines = run_verify("--expect-head", written_down.upper())
    assert lines[0] == "OK 12 events"
    assert lines[2] == "expected head found at event #10"


def test_expect_head_of_an_empty_log_always_matches():
    record(action="test.first")
    assert run_verify("--expect-head", GENESIS_HASH)[0] == "OK 1 events"


def test_expect_head_must_be_a_hash():
    with pytest.raises(CommandError, match="64 hex digits"):
        call_command("audit_verify", "--expect-head", "not-a-hash", stdout=StringIO())


# --- the real process -------------------------------------------------------------------------


def test_manage_py_exit_codes(tmp_path):
    """The exit status a scheduler sees: 0 when intact, 1 when tampered with."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KAIRAN_")}
    env["KAIRAN_DATA_DIR"] = str(tmp_path)
    env["KAIRAN_SECRET_KEY"] = "test-only"

    def manage(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    assert manage("migrate", "--no-input", "-v", "0").returncode == 0
    script = "from audit.services import record\nfor n in range(3): record(action='test.cli')"
    assert manage("shell", "-c", script).returncode == 0
    ok = manage("audit_verify")
    assert (ok.returncode, ok.stdout.splitlines()[0]) == (0, "OK 3 events")

    with sqlite3.connect(tmp_path / "kairan.sqlite3") as db:
        db.execute("UPDATE audit_auditevent SET action = 'test.forged' WHERE seq = 2")
    broken = manage("audit_verify")
    assert broken.returncode == 1
    assert "event #2 (id 2)" in broken.stderr
    assert "OK" not in broken.stdout
