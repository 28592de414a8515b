"""Transactions that survive lock conflicts: every service's outermost transaction.

PostgreSQL may end a transaction with ``deadlock detected`` (40P01) or ``could not serialize``
(40001) when two writers meet; nothing of it was written, and running it again is the documented
remedy. ``atomic_service`` is ``transaction.atomic`` that, as the outermost transaction, runs the
service again (up to ``ATTEMPTS`` times, with a short random pause) on those two errors, and
raises ``Busy`` (503) if they persist — never a 500. Inside an outer transaction it is a plain
``atomic``: the outer one has been rolled back too, so only its owner could run it again.

It lives in the lowest app, like the domain errors, so every app's services can use it.

Lock order (docs/architecture.md "Locks"): a service locks the rows it changes with
``select_for_update(of=("self",), no_key=True)`` — ``of`` so that joined shared rows (a category,
a unit) are not locked, ``no_key`` so that rows merely referencing a locked row (checked by
PostgreSQL's deferred foreign keys at COMMIT) do not wait for it — in this order: the proposal
(or binder, document, plan) first, then viewflow's process row, then counters, and the audit
chain's head last — and only in the last statements of the transaction: the audit events a
service records are kept and chained right before COMMIT (``audit.chaining``).
"""

from __future__ import annotations

import functools
import logging
import random
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any, ParamSpec, TypeVar

from django.db import OperationalError, transaction
from django.utils.translation import gettext as _

from audit.exceptions import Busy

logger = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

ATTEMPTS = 5
# deadlock_detected, serialization_failure
RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})


def is_lock_conflict(exc: BaseException) -> bool:
    """Whether ``exc`` (Django's wrapper or the driver's error) is a deadlock or serialization
    failure, after which the whole transaction may simply be run again."""
    for error in (exc, exc.__cause__):
        if error is not None and getattr(error, "sqlstate", None) in RETRYABLE_SQLSTATES:
            return True
    return False


def atomic_service(func: Callable[P, R]) -> Callable[P, R]:
    """``transaction.atomic`` for a service, run again on a lock conflict when outermost."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        return run_atomic(functools.partial(func, *args, **kwargs), name=func.__qualname__)

    return wrapper


def run_atomic(work: Callable[[], R], *, name: str = "") -> R:
    """Run ``work()`` in a transaction; as the outermost one, again on a lock conflict.

    Raises Busy (503) when every attempt met a conflict, and whatever ``work`` raises otherwise.
    """
    if transaction.get_connection().in_atomic_block:
        # Inside another transaction: if it is a service's, its end chains our events too;
        # if it is a plain atomic block, ours do here, and the head stays locked until it ends.
        with transaction.atomic(), _chained_at_the_end(owns_transaction=False):
            return work()
    for attempt in range(1, ATTEMPTS + 1):
        try:
            # The audit events of ``work`` are chained as the last statements before COMMIT.
            with transaction.atomic(), _chained_at_the_end(owns_transaction=True):
                return work()
        except OperationalError as exc:
            if not is_lock_conflict(exc):
                raise
            logger.warning(
                "%s: lock conflict (attempt %d of %d): %s", name or work, attempt, ATTEMPTS, exc
            )
            if attempt == ATTEMPTS:
                raise Busy(
                    _("The system is busy. Nothing was saved; please try again shortly.")
                ) from exc
            # Short and random, so two transactions that met do not meet again in step.
            time.sleep(random.uniform(0.005, 0.05) * attempt)  # noqa: S311
    raise AssertionError("unreachable")


def _chained_at_the_end(*, owns_transaction: bool) -> AbstractContextManager[None]:
    # Imported here: this module is imported by every app's services, before models are ready.
    from audit.chaining import chained_at_the_end

    return chained_at_the_end(owns_transaction=owns_transaction)


def enqueue_with_change(task: Any, *args: Any) -> None:
    """Queue background work (a django-task) for a change being written, so that it can never
    be lost between the commit and the enqueue.

    With a database queue (``KAIRAN_TASK_WORKERS=external``) the job row is written now, inside
    the change's transaction — a transactional outbox: it commits with the change or not at all,
    and a process killed right after the commit leaves it queued for a worker. With in-process
    workers (the embedded default) the job runs right after the commit, so that it sees the
    committed rows; a crash there loses only work the next run of the same event redoes.
    """
    if _is_database_queue(task):
        task.enqueue(*args)
    else:
        transaction.on_commit(lambda: task.enqueue(*args), robust=True)


def _is_database_queue(task: Any) -> bool:
    try:
        from django_tasks_db import DatabaseBackend
    except ImportError:  # pragma: no cover - the package is a dependency
        return False
    return isinstance(task.get_backend(), DatabaseBackend)
