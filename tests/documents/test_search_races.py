"""Concurrent index writes of one entry on PostgreSQL, with real threads: the engine serialises
them itself (an advisory lock per entry), whatever lock its caller holds or does not hold."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import connection

from documents.search import ALL, index_delete, index_upsert, search
from documents.search import text as T
from tests.documents.test_races import run_concurrently

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
WRITERS = 6
WORDS = ["棚田", "水路", "農道", "堤防", "用水", "里山", "砂防", "護岸"]


def _upsert(i: int) -> Callable[[], None]:
    # Texts of different lengths, so that a mix of two writers would show as extra chunks.
    def run() -> None:
        index_upsert(
            kind="document",
            object_id=7,
            title=f"{WORDS[i]}の計画",
            text=f"{WORDS[i]}を整備する。" * (1 + 900 * (i % 3)),
            owner_unit_id=None,
            classification="public",
        )

    return run


def _assert_one_consistent_entry() -> None:
    with connection.cursor() as cur:
        cur.execute("SELECT id FROM documents_search_entry WHERE kind = 'document'")
        entries = cur.fetchall()
        cur.execute("SELECT COUNT(*) FROM documents_search_chunk")
        chunks = cur.fetchone()[0]
        cur.execute("SELECT COUNT(*) FROM documents_search_gin")
        rows = cur.fetchone()[0]
    assert len(entries) == 1
    found = [w for w in WORDS[:WRITERS] if search(q=w, visible={"document": ALL}).total]
    assert len(found) == 1, found  # one writer's version, not a mix
    i = WORDS.index(found[0])
    expected = T.chunks("", f"{found[0]}を整備する。" * (1 + 900 * (i % 3)))
    assert chunks == len(expected)
    assert rows == max(1, len(expected) - 1)


def test_concurrent_upserts_of_a_new_entry_leave_one_entry():
    results = run_concurrently([_upsert(i) for i in range(WRITERS)])

    assert [outcome for outcome, _ in results] == ["ok"] * WRITERS
    _assert_one_consistent_entry()


def test_concurrent_reindexing_of_one_entry_never_mixes_rows():
    _upsert(0)()
    for _round in range(3):
        results = run_concurrently([_upsert(i) for i in range(WRITERS)])

        assert [outcome for outcome, _ in results] == ["ok"] * WRITERS
        _assert_one_consistent_entry()


def test_concurrent_delete_and_upsert_leave_a_whole_entry_or_none():
    _upsert(1)()
    results = run_concurrently(
        [lambda: index_delete(kind="document", object_id=7), _upsert(2), _upsert(0)]
    )

    assert [outcome for outcome, _ in results] == ["ok"] * 3
    with connection.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM documents_search_entry")
        if cur.fetchone()[0]:
            _assert_one_consistent_entry()
        else:
            cur.execute("SELECT COUNT(*) FROM documents_search_chunk")
            assert cur.fetchone()[0] == 0
