"""Transactional tests leave no search index behind: Django's flush does not know the raw
search tables, so tests/conftest.py empties them. The first test writes; the second (run after
it, in file order) would find its entry without that fixture."""

from __future__ import annotations

import pytest
from django.db import connection

from documents.search import ALL, index_upsert, search
from documents.search.backend import get_engine
from documents.search.engine import CHUNK, ENTRY, FTS, GIN, SOURCE
from documents.search.engine_sqlite import _kind_token

pytestmark = pytest.mark.django_db(transaction=True)
KIND = _kind_token("document")


def _index_sizes() -> dict[str, int]:
    tables = [ENTRY, CHUNK, SOURCE, FTS if connection.vendor == "sqlite" else GIN]
    sizes = {}
    with connection.cursor() as cur:
        for table in tables:
            if table == FTS:  # contentless FTS5 cannot be scanned; every row has its kind
                cur.execute(f"SELECT COUNT(*) FROM {FTS} WHERE {FTS} MATCH %s", [KIND])  # noqa: S608
            else:
                cur.execute(f"SELECT COUNT(*) FROM {table}")  # noqa: S608 — constant names
            sizes[table] = cur.fetchone()[0]
    return sizes


def test_a_transactional_test_indexes_and_commits():
    index_upsert(
        kind="document",
        object_id=1,
        title="残留確認",
        text="後のテストに残ってはならない本文",
        owner_unit_id=None,
        classification="public",
    )
    assert search(q="残留", visible={"document": ALL}).total == 1


def test_the_next_transactional_test_starts_from_an_empty_index():
    assert set(_index_sizes().values()) == {0}, _index_sizes()
    assert search(q="残留", visible={"document": ALL}).total == 0
    assert search(q="本文", visible={"document": ALL}).total == 0
    assert get_engine().query("本文", {"document": ALL}, 10, 0) == ([], 0)
