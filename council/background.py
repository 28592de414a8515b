"""Work after the response, in this process: one worker thread and a bounded queue.

Used when ``KAIRAN_COUNCIL_BACKGROUND_WRITES`` is on [off by default: the writes happen in the
request, so a response is followed by its effects at once] for what need not hold up a reader:
indexing a material's pages for search (seconds for 300 pages, and on SQLite a write lock that
would make every other writer wait) and recording page views (既読). One thread, so these writes
never compete with each other; a full queue drops the job with a log line (a view not counted,
an index entry that ``search_reindex`` repairs) rather than block a request.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from typing import Any

from django.conf import settings

logger = logging.getLogger(__name__)

QUEUE_SIZE = 10_000
_jobs: queue.Queue[tuple[Callable[..., Any], tuple[Any, ...]]] = queue.Queue(QUEUE_SIZE)
_worker: threading.Thread | None = None
_start_lock = threading.Lock()


def mode() -> str:
    """``thread`` (after the response) when ``COUNCIL_BACKGROUND_WRITES`` is on, else ``inline``."""
    return "thread" if getattr(settings, "COUNCIL_BACKGROUND_WRITES", False) else "inline"


def run_later(work: Callable[..., Any], *args: Any) -> None:
    """``work(*args)`` on the worker thread (or now, when background work is not threaded)."""
    if mode() != "thread":
        work(*args)
        return
    _ensure_worker()
    try:
        _jobs.put_nowait((work, args))
    except queue.Full:
        logger.error("council background queue full: %s dropped", getattr(work, "__name__", work))


def _ensure_worker() -> None:
    global _worker
    with _start_lock:
        if _worker is None or not _worker.is_alive():
            _worker = threading.Thread(target=_loop, name="council-background", daemon=True)
            _worker.start()


def _loop() -> None:
    from django.db import close_old_connections

    while True:
        work, args = _jobs.get()
        try:
            work(*args)
        except Exception:
            logger.exception("council background work %s failed", getattr(work, "__name__", work))
        finally:
            close_old_connections()
            _jobs.task_done()
