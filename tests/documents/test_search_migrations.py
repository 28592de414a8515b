"""The PostgreSQL index migrations carry an existing index over: 0005 builds the GIN rows from
the chunk table, 0006 moves each row's text inline. Searches after the round trip equal the
substring oracle, and every row's inline text is its chunk's."""

from __future__ import annotations

import pytest
from django.db import connection

from documents.search import ALL, IndexEntry, index_replace_all, search
from documents.search.engine import CHUNK, GIN, SEQ_SPAN
from tests.documents.test_search import oracle
from tests.migration_helpers import migrate, migrate_all_to_latest

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

TERMS = ["予算", "補正予", "会計年度任用職員", "（都市計画）", "棚田"]


def _entries() -> list[IndexEntry]:
    long_text = "前置き。" * 1500 + "会計年度任用職員の報酬"  # several chunks
    return [
        IndexEntry("document", 1, "予算の補正予定", "棚田（都市計画）", None, "public"),
        IndexEntry("document", 2, "会計年度任用職員", "", None, "public"),  # no text: title only
        IndexEntry("document", 3, "長い文書", long_text, None, "internal"),
        IndexEntry("document", 4, "無関係", "本文に該当語はない", None, "public"),
    ]


def _migrate(target: str) -> None:
    migrate("documents", target)


def test_an_existing_index_survives_the_postgresql_migrations():
    entries = _entries()
    index_replace_all(entries)
    latest = "0006_search_gin_text_inline"
    try:
        _migrate("0004_write_once")  # back to the chunk table's own GIN index
        _migrate(latest)  # 0005 and 0006 with rows to carry over
    finally:
        _migrate(latest)
        migrate_all_to_latest()
    for q in TERMS:
        page = search(q=q, visible={"document": ALL}, limit=100)
        assert {h.id for h in page.hits} == oracle(entries, q), q
        assert page.total == len(oracle(entries, q))
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT COUNT(*) FROM {GIN} g LEFT JOIN {CHUNK} c ON c.id = g.id "  # noqa: S608
            "WHERE g.norm IS DISTINCT FROM COALESCE(c.norm, '')"
        )
        assert cur.fetchone()[0] == 0
        cur.execute(f"SELECT COUNT(*) FROM {GIN} WHERE id %% %s > 1", [SEQ_SPAN])  # noqa: S608
        assert cur.fetchone()[0] > 0  # the long text's further chunks are rows of their own
