"""Putting events on the hash chain: a short critical section at the very end of the transaction.

Inside a service's transaction (``audit.transactions.run_atomic`` / ``atomic_service``) an event
is not written when ``record`` is called: it is kept, with the savepoints it was recorded in, and
the whole transaction's events are chained in one go as the last thing before COMMIT —
lock the head row, number and hash them, insert them, move the head, commit. The head is
therefore held for a few statements and the commit, not for the body of the transaction, and
since it is held until the commit, the chain order is the commit order.

A kept event whose savepoint is rolled back must vanish with it. Django drops the on-commit
callbacks registered inside a savepoint that is rolled back (documented behaviour of
``transaction.on_commit``); each kept batch registers a callback that does nothing, and at the
seal only the batches whose callback is still queued are written.

Outside a service's transaction (sign-in receivers, management commands, a plain
``transaction.atomic``) the event is chained at once, as before: the head is then held until
that transaction ends. Both paths take the same lock, so they interleave into one chain.

See audit/README.md ("Chaining at the end of the transaction").
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.chain import GENESIS_HASH, event_hash
from audit.models import AuditChainHead, AuditEvent

# Where a connection keeps the events of the service transaction it is running.
_PENDING_ATTR = "_kairan_audit_pending"

# Benchmark-only modes (setting AUDIT_BENCHMARK_CHAINING, set by bench/bench_audit_chain.py's
# settings module, never in production): "eager" chains every event at once (the design before
# issue 14: the head is held from the first event to the commit); "off" writes the events at
# the same point but without chain (random seq and hash: such a log does not verify).
EAGER = "eager"
OFF = "off"


class _Batch:
    """Events recorded together, and the on-commit callback that tells whether they survived.

    Calling it does nothing: it only has to be in ``connection.run_on_commit``, from which Django
    removes it when the savepoint it was registered in is rolled back.
    """

    __slots__ = ("events",)

    def __init__(self, events: list[AuditEvent]) -> None:
        self.events = events

    def __call__(self) -> None:
        return None


class _Pending:
    """The kept events of one service transaction (one per connection at a time)."""

    __slots__ = ("batches", "owns_transaction")

    def __init__(self, *, owns_transaction: bool) -> None:
        self.owns_transaction = owns_transaction
        self.batches: list[_Batch] = []


def benchmark_mode() -> str:
    return getattr(settings, "AUDIT_BENCHMARK_CHAINING", "") or ""


def append(events: list[AuditEvent]) -> None:
    """Chain ``events`` at the end of the running service transaction, or now if there is none."""
    connection = transaction.get_connection()
    pending: _Pending | None = getattr(connection, _PENDING_ATTR, None)
    if pending is not None and connection.in_atomic_block:
        batch = _Batch(events)
        transaction.on_commit(batch)
        pending.batches.append(batch)
        return
    with transaction.atomic(savepoint=False):
        _write(events)


@contextmanager
def chained_at_the_end(*, owns_transaction: bool) -> Iterator[None]:
    """Keep the events recorded inside the block and chain them when it ends without error.

    Enter it inside the transaction (the block must end before COMMIT). ``owns_transaction``:
    the block is the whole transaction, so its end is the commit. Nested inside another such
    block it does nothing: the outer one seals.
    """
    connection = transaction.get_connection()
    if (
        getattr(connection, _PENDING_ATTR, None) is not None
        or not hasattr(connection, "run_on_commit")  # cannot see rolled-back savepoints
        or benchmark_mode() == EAGER
    ):
        yield
        return
    pending = _Pending(owns_transaction=owns_transaction)
    setattr(connection, _PENDING_ATTR, pending)
    try:
        yield
        # Cleared before sealing: a record() from here on (none expected) is chained at once.
        setattr(connection, _PENDING_ATTR, None)
        _seal(connection, pending)
    finally:
        setattr(connection, _PENDING_ATTR, None)


def is_deferring() -> bool:
    """Whether events recorded now are kept for the end of the transaction."""
    return getattr(transaction.get_connection(), _PENDING_ATTR, None) is not None


def _seal(connection: Any, pending: _Pending) -> None:
    if connection.needs_rollback or not pending.batches:
        return  # the transaction is going to be rolled back, or recorded nothing
    queued = {func for _sids, func, _robust in connection.run_on_commit if isinstance(func, _Batch)}
    events = [event for batch in pending.batches if batch in queued for event in batch.events]
    if events:
        # Owning the transaction, the deferred foreign-key checks run now, before the head is
        # locked: COMMIT then has nothing left that could wait for another transaction's row
        # lock while holding the head.
        _write(events, check_constraints=pending.owns_transaction)


def _write(events: list[AuditEvent], *, check_constraints: bool = False) -> None:
    """Number, hash and insert ``events`` after the chain's last event, under the head lock."""
    if benchmark_mode() == OFF:
        now = timezone.now()
        for event in events:
            event.seq, event.at = secrets.randbits(62), now
            event.prev_hash, event.hash = "", secrets.token_hex(32)
        AuditEvent.objects.bulk_create(events, batch_size=500)
        return
    connection = transaction.get_connection()
    if connection.vendor == "postgresql":
        _write_postgresql(connection, events, check_constraints=check_constraints)
        return
    head = _locked_head()
    seq, prev = _chain(events, head.last_seq, head.last_hash)
    AuditEvent.objects.bulk_create(events, batch_size=500)
    head.last_seq, head.last_hash = seq, prev
    head.save(update_fields=["last_seq", "last_hash"])


def _chain(events: list[AuditEvent], seq: int, prev: str) -> tuple[int, str]:
    """Give ``events`` their place after (seq, prev); the new last seq and hash."""
    now = timezone.now()  # after the lock: times never go back along the chain
    for event in events:
        seq += 1
        event.seq, event.at, event.prev_hash = seq, now, prev
        event.hash = prev = event_hash(
            seq=seq,
            at=now,
            prev_hash=event.prev_hash,
            actor_id=event.actor_id,
            actor_username=event.actor_username,
            action=event.action,
            target_type=event.target_type,
            target_id=event.target_id,
            client_address=event.client_address,
            details=event.details,
        )
    return seq, prev


def _locked_head() -> AuditChainHead:
    head = AuditChainHead.objects.select_for_update(of=("self",), no_key=True).filter(pk=1).first()
    if head is not None:
        return head
    _create_head()
    return AuditChainHead.objects.select_for_update(of=("self",), no_key=True).get(pk=1)


def _create_head() -> None:
    """First event ever (or after a test flush): create the head; a concurrent creator wins the
    primary key and we lock theirs instead."""
    try:
        with transaction.atomic():
            AuditChainHead.objects.create(pk=1, last_seq=0, last_hash=GENESIS_HASH)
    except IntegrityError:
        pass


# PostgreSQL: the critical section in as few round trips as possible, since every one of them is
# spent holding the head (and on a busy machine, waiting to be scheduled again): one to lock and
# read the head (with the constraint checks before it in the same trip), one to insert the
# events and move the head, then COMMIT. The same columns and values the ORM would write.
_EVENT_COLUMNS = (
    "seq",
    "at",
    "actor_id",
    "actor_username",
    "action",
    "target_type",
    "target_id",
    "client_address",
    "details",
    "prev_hash",
    "hash",
)
_CASTS = {"client_address": "::inet", "details": "::jsonb"}
_CHUNK = 500  # events per INSERT (11 parameters each: far below PostgreSQL's 65,535)


def _write_postgresql(
    connection: Any, events: list[AuditEvent], *, check_constraints: bool
) -> None:
    quote = connection.ops.quote_name
    head_table = quote(AuditChainHead._meta.db_table)
    lock = f"SELECT last_seq, last_hash FROM {head_table} WHERE id = 1 FOR NO KEY UPDATE"  # noqa: S608
    column_of = {field.name: field.column for field in AuditEvent._meta.concrete_fields}
    columns = ", ".join(quote(column_of[name]) for name in _EVENT_COLUMNS)
    row_sql = "(" + ", ".join(f"%s{_CASTS.get(name, '')}" for name in _EVENT_COLUMNS) + ")"
    with connection.cursor() as cursor:
        if check_constraints:
            cursor.execute(f"SET CONSTRAINTS ALL IMMEDIATE; {lock}")
            cursor.nextset()
        else:
            cursor.execute(lock)
        row = cursor.fetchone()
        if row is None:
            _create_head()
            cursor.execute(lock)
            row = cursor.fetchone()
        _chain(events, row[0], row[1])
        for start in range(0, len(events), _CHUNK):  # one statement, unless a sync's thousands
            chunk = events[start : start + _CHUNK]
            params: list[Any] = [
                json.dumps(event.details, ensure_ascii=False)
                if name == "details"
                else getattr(event, name)
                for event in chunk
                for name in _EVENT_COLUMNS
            ]
            cursor.execute(
                f"WITH inserted AS (INSERT INTO {quote(AuditEvent._meta.db_table)} "  # noqa: S608
                f"({columns}) VALUES {', '.join([row_sql] * len(chunk))} RETURNING id, seq) "
                f"UPDATE {head_table} SET last_seq = %s, last_hash = %s WHERE id = 1 "
                "RETURNING (SELECT array_agg(id ORDER BY seq) FROM inserted)",
                [*params, chunk[-1].seq, chunk[-1].hash],
            )
            for event, pk in zip(chunk, cursor.fetchone()[0], strict=True):
                event.pk = pk
                event._state.adding, event._state.db = False, connection.alias
