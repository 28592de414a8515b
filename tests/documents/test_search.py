"""Search results equal a substring match on normalised text, on SQLite and on PostgreSQL.

The oracle is Python's ``in`` on ``normalize(title)`` and ``normalize(text)`` of a generated
corpus; every query must return exactly the oracle's set and total, through every page.
"""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from documents.search import (
    ALL,
    IndexEntry,
    QueryRefused,
    Visible,
    index_delete,
    index_replace_all,
    index_upsert,
    search,
)
from documents.search import text as T
from tests.documents.japanese import JapaneseText

pytestmark = pytest.mark.django_db

CORPUS_SIZE = 300
DOCS = {"document": ALL}
TERMS = [
    # 2 characters
    "予算",
    "棚田",
    "市民",
    "年度",
    "職員",
    "ＡＢ",
    "ab",
    "ｶﾀ",
    "課は",
    "千円",
    # 3 characters
    "補正予",
    "任用職",
    "千円を",
    "ＩＣＴ",
    "ict",
    "第１",
    "。本件",
    # long
    "会計年度任用職員",
    "補正予算に関する",
    "国民健康保険について",
    "ＡＢＣ株式会社",
    "abc株式会社",
    "カタカナ表記",
    "コンビニ交付",
    "wi-fi",
    "WI-FI",
    # across punctuation, spaces and line breaks
    "予算（",
    "）に係る",
    "。 本件",
    "する。 第",
    "件 第",
    "、予算、",
    # only in titles, and nowhere
    "に関する起案",
    "（案）",
    "存在しない語句",
    "棚田棚田",
]


def corpus(seed: int = 7, size: int = CORPUS_SIZE) -> list[IndexEntry]:
    gen = JapaneseText(seed)
    return [
        IndexEntry(
            kind="document",
            object_id=i + 1,
            title=gen.title(),
            text=gen.text(),
            owner_unit_id=1 + i % 3,
            classification=("public", "internal", "confidential")[i % 3],
        )
        for i in range(size)
    ]


def oracle(entries: list[IndexEntry], q: str) -> set[int]:
    norm_q = T.normalize_query(q)
    return {
        e.object_id
        for e in entries
        if norm_q in T.normalize(e.title) or norm_q in T.normalize(e.text)
    }


def found(q: str, visible=None, kind: str = "document") -> tuple[set[int], int]:
    """Every hit over all pages (bounded), and the reported total."""
    ids: set[int] = set()
    total = None
    for page_no in range(100):
        page = search(q=q, visible=visible or DOCS, limit=100, offset=100 * page_no)
        total = page.total if total is None else total
        assert page.total == total
        ids |= {h.id for h in page.hits if h.kind == kind}
        if len(page.hits) < 100:
            break
    return ids, total or 0


@pytest.fixture
def indexed() -> list[IndexEntry]:
    entries = corpus()
    index_replace_all(entries)
    return entries


def _assert_equal_to_oracle(entries: list[IndexEntry]) -> None:
    nonempty = 0
    for q in TERMS:
        expected = oracle(entries, q)
        ids, total = found(q)
        assert ids == expected, q
        assert total == len(expected), q
        nonempty += bool(expected)
    # The corpus really exercises the index: most terms have hits, some have many.
    assert nonempty >= len(TERMS) - 4
    assert len(oracle(entries, "予算")) > 100


def test_results_equal_substring_oracle(indexed):
    _assert_equal_to_oracle(indexed)


@pytest.mark.postgres
def test_results_equal_substring_oracle_on_postgresql(indexed):
    assert connection.vendor == "postgresql"
    _assert_equal_to_oracle(indexed)


def test_every_visibility_path_gives_the_same_pages(indexed, django_user_model):
    """SQLite answers rules on the index's own columns inside FTS5 and selector querysets in
    SQL; both (and PostgreSQL's single path) must give the same pages in the same order."""
    through_sql = Visible(everything=True, ids=django_user_model.objects.none())
    # Long texts too: a title hit whose first text hit is in a later chunk, and one without.
    filler = "あいうえお。" * (T.CHUNK_CHARS // 3)
    for object_id, title in [(1001, "市民の声"), (1002, "報告")]:
        index_upsert(
            kind="document",
            object_id=object_id,
            title=title,
            text=filler + "補正予算に関する市民の意見" + filler,
            owner_unit_id=None,
            classification="public",
        )
    for q in ["市民", "予算", "について", "補正予算に関する", "（案）", "存在しない語句"]:
        for limit, offset in [(7, 0), (7, 5), (50, 20), (100, 250)]:
            fast = search(q=q, visible=DOCS, limit=limit, offset=offset)
            slow = search(q=q, visible={"document": through_sql}, limit=limit, offset=offset)
            assert fast == slow, (q, limit, offset)
        assert [h.in_title for h in fast.hits] == sorted(
            (h.in_title for h in fast.hits), reverse=True
        )


def test_zenkaku_hankaku_and_case_variants_match():
    index_upsert(
        kind="document",
        object_id=1,
        title="ＤＸ推進計画",
        text="ｶﾀｶﾅのｶﾞｲﾄﾞと Wi-Fi 整備、ABC株式会社（１２３）",
        owner_unit_id=None,
        classification="public",
    )
    for q in [
        "dx推進",
        "ＤＸ",
        "カタカナ",
        "ガイド",
        "ｶﾞｲﾄﾞ",
        "wi-fi",
        "ＷＩ－ＦＩ",
        "ａｂｃ株式",
        "(123)",
    ]:
        page = search(q=q, visible=DOCS)
        assert [h.id for h in page.hits] == [1], q


def test_snippet_highlights_the_first_hit_in_the_original_text_escaped():
    index_upsert(
        kind="document",
        object_id=1,
        title="<b>件名</b>",
        text="前置き<script>x</script>。ｶﾞｲﾄﾞの改訂と、ガイドの周知。",
        owner_unit_id=None,
        classification="public",
    )
    hit = search(q="ガイド", visible=DOCS).hits[0]
    assert "<mark>ｶﾞｲﾄﾞ</mark>の改訂" in hit.snippet
    assert "&lt;script&gt;" in hit.snippet
    assert "<script>" not in hit.snippet
    assert hit.title == "<b>件名</b>"  # plain text: the template escapes it
    title_hit = search(q="件名", visible=DOCS).hits[0]
    assert title_hit.in_title
    assert "<mark>" not in title_hit.snippet  # only the title matched: start of the text


def test_pieces_of_a_term_apart_are_not_a_hit():
    """Every bigram (and on PostgreSQL every trigram) of the term is there, but not in a row:
    the index candidates must be narrowed to the substring."""
    for object_id, title, text in [
        (
            1,
            "補正。正予",
            "債務負。務負担。負担行為",
        ),  # 補正予, 債務負担, 債務負担行為: pieces only
        (2, "報告", "補正予算と債務負担行為"),
        (3, "補正予", "なし"),
    ]:
        index_upsert(
            kind="document",
            object_id=object_id,
            title=title,
            text=text,
            owner_unit_id=None,
            classification="public",
        )
    for q, expected in [
        ("補正予", [3, 2]),
        ("債務負担", [2]),
        ("債務負担行為", [2]),
        ("正予", [3, 1, 2]),
    ]:
        assert [h.id for h in search(q=q, visible=DOCS).hits] == expected, q


def test_update_replaces_and_delete_removes_an_entry():
    def upsert(title: str, text: str) -> None:
        index_upsert(
            kind="document",
            object_id=5,
            title=title,
            text=text,
            owner_unit_id=None,
            classification="public",
        )

    upsert("棚田の保全", "中山間地域の棚田を保全する。")
    assert [h.id for h in search(q="棚田", visible=DOCS).hits] == [5]
    upsert("水路の改修", "農業用水路を改修する。")
    assert search(q="棚田", visible=DOCS).hits == []
    assert [h.id for h in search(q="水路", visible=DOCS).hits] == [5]
    assert index_delete(kind="document", object_id=5) is True
    assert search(q="水路", visible=DOCS).hits == []
    assert index_delete(kind="document", object_id=5) is False
    # After a delete the identifiers can be indexed again from scratch.
    upsert("棚田", "棚田")
    assert search(q="棚田", visible=DOCS).total == 1


def test_long_text_is_chunked_and_hits_across_a_chunk_boundary_are_found():
    gen = JapaneseText(3)
    parts: list[str] = []
    for _ in range(2000):  # bounded
        if sum(map(len, parts)) > 3 * T.CHUNK_CHARS:
            break
        parts.append(gen.sentence())
    body = "".join(parts)
    norm = T.normalize(body)
    boundary = T.CHUNK_CHARS - T.CHUNK_OVERLAP  # the second chunk starts here
    # A term of the maximum length that starts just before the end of the first chunk.
    term = norm[T.CHUNK_CHARS - 50 : T.CHUNK_CHARS - 50 + T.MAX_QUERY_CHARS]
    index_upsert(
        kind="document",
        object_id=9,
        title="長文",
        text=body,
        owner_unit_id=None,
        classification="public",
    )
    assert len(T.chunks("長文", body)) >= 4
    assert boundary < T.CHUNK_CHARS - 50
    for q in [term, norm[-30:], norm[:30], norm[boundary - 10 : boundary + 10]]:
        page = search(q=q, visible=DOCS)
        assert [h.id for h in page.hits] == [9], q
        assert "<mark>" in page.hits[0].snippet


def test_the_snippet_is_from_the_first_text_chunk_with_a_hit_else_the_first_chunk():
    """A long text: the snippet comes from the first chunk holding the term (here the third),
    and for a hit in the title only from the start of the text (chunk 1)."""
    filler = "あいうえお。" * (T.CHUNK_CHARS // 3)  # chunks 1 and 2 without the terms
    body = filler + "棚田百選の保全について。" + filler
    index_upsert(
        kind="document",
        object_id=7,
        title="題名に棚田",
        text=body,
        owner_unit_id=None,
        classification="public",
    )
    chunks = T.chunks("題名に棚田", body)
    first = next(c for c in chunks if c.seq > 0 and "百選" in c.norm)
    assert first.seq >= 3
    (hit,) = search(q="百選", visible=DOCS).hits
    assert hit.snippet == T.snippet(first.orig, "百選", first.norm)
    assert "<mark>百選</mark>" in hit.snippet
    (title_hit,) = search(q="題名", visible=DOCS).hits
    assert title_hit.in_title
    assert title_hit.snippet == T.snippet(chunks[1].orig, "題名", chunks[1].norm)
    # In the title and in the text: ranked as a title hit, the snippet from the text's hit.
    (both,) = search(q="棚田", visible=DOCS).hits
    assert both.in_title
    assert both.snippet == T.snippet(first.orig, "棚田", first.norm)


def test_visibility_limits_results_in_the_same_query():
    entries = corpus(size=60)
    index_replace_all(entries)
    outsider = {"document": Visible(classified=True, units=[])}
    unit_2 = {"document": Visible(classified=True, units=[2])}
    confidential = {e.object_id for e in entries if e.classification == "confidential"}
    for q in ["予算", "市民", "年度"]:
        everything = oracle(entries, q)
        assert found(q, outsider) == (everything - confidential, len(everything - confidential))
        own = {e.object_id for e in entries if e.owner_unit_id == 2} & confidential
        assert found(q, unit_2)[0] == (everything - confidential) | (everything & own)
    assert search(q="予算", visible={}).total == 0  # a kind nobody named is never searched
    assert search(q="予算", visible={"proposal": ALL}).total == 0


def test_visibility_by_selector_queryset(django_user_model):
    # Any queryset of ids works as a kind's selector; here users stand in for the objects.
    users = [django_user_model.objects.create(username=f"u{i}") for i in range(3)]
    for user in users:
        index_upsert(
            kind="proposal",
            object_id=user.pk,
            title=f"補正予算 {user.username}",
            text="",
            owner_unit_id=None,
            classification="internal",
        )
    visible = {"proposal": Visible(ids=django_user_model.objects.filter(username="u1"))}
    page = search(q="補正予算", visible=visible)
    assert [(h.kind, h.id) for h in page.hits] == [("proposal", users[1].pk)]
    assert page.total == 1


def test_ranking_title_hits_first_then_newest():
    for object_id, title, text in [
        (1, "報告", "予算"),
        (2, "報告", "予算と予算と予算"),
        (3, "予算の報告", "なし"),
        (4, "報告", "なし"),
    ]:
        index_upsert(
            kind="document",
            object_id=object_id,
            title=title,
            text=text,
            owner_unit_id=None,
            classification="public",
        )
    hits = search(q="予算", visible=DOCS).hits
    assert [(h.id, h.rank) for h in hits] == [(3, 2), (2, 1), (1, 1)]


@pytest.mark.parametrize("q", ["", " ", "予", "　予　", "ｱ", "x" * (T.MAX_QUERY_CHARS + 1)])
def test_query_too_short_or_too_long_is_refused(q):
    with pytest.raises(QueryRefused):
        search(q=q, visible=DOCS)


def test_pagination_is_stable_and_complete(indexed):
    expected = oracle(indexed, "市民")
    seen: list[int] = []
    for page_no in range(20):
        hits = search(q="市民", visible=DOCS, limit=25, offset=25 * page_no).hits
        seen += [h.id for h in hits]
        if not hits:
            break
    assert len(seen) == len(set(seen)) == len(expected)
    past_the_end = search(q="市民", visible=DOCS, limit=25, offset=10_000)
    assert past_the_end.hits == []
    assert past_the_end.total == len(expected)


@pytest.mark.postgres
def test_postgresql_uses_the_gin_index():
    index_replace_all(corpus(size=50))
    with connection.cursor() as cur:
        cur.execute("SET enable_seqscan = off")  # a small table would otherwise be scanned
        cur.execute(
            "EXPLAIN SELECT id FROM documents_search_gin g WHERE g.tokens @@ %s::tsquery",
            [T.tokens("棚田")[0]],
        )
        plan = "\n".join(r[0] for r in cur.fetchall())
        cur.execute("RESET enable_seqscan")
    assert "documents_search_gin_tokens" in plan


def _seqscan_setting() -> str:
    with connection.cursor() as cur:
        cur.execute("SHOW enable_seqscan")
        return cur.fetchone()[0]


@pytest.mark.postgres
def test_postgresql_search_is_one_round_trip_and_puts_the_planner_setting_back():
    """Inside a transaction (a request with other writes, this test): one statement to the
    server, and sequential scans are allowed again for whatever the transaction does next."""
    entries = corpus(size=60)
    index_replace_all(entries)
    with CaptureQueriesContext(connection) as queries:
        long_term = search(q="会計年度任用職員", visible=DOCS, limit=100)
    assert len(queries) == 1
    expected = oracle(entries, "会計年度任用職員")
    assert long_term.total == len(expected) > 0
    assert {h.id for h in long_term.hits} == expected
    assert _seqscan_setting() == "on"
    past_the_end = search(q="市民", visible=DOCS, offset=10_000)  # the count on its own
    assert (past_the_end.hits, past_the_end.total) == ([], len(oracle(entries, "市民")))
    assert _seqscan_setting() == "on"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_postgresql_search_outside_a_transaction_leaves_no_setting_behind():
    entries = corpus(size=60)
    index_replace_all(entries)
    assert not connection.in_atomic_block
    result = search(q="予算", visible=DOCS)
    assert result.total == len(oracle(entries, "予算")) > 0
    assert _seqscan_setting() == "on"


@pytest.mark.postgres
def test_postgresql_phrase_positions_would_lose_hits_in_long_texts():
    """Why the index keeps no positions: a tsvector drops them past 16,383 (and past 256 per
    lexeme), so a phrase query misses a term near the end of a long text; ours finds it."""
    body = "あ" * 20_000 + "棚田百選"
    index_upsert(
        kind="document",
        object_id=1,
        title="長文",
        text=body,
        owner_unit_id=None,
        classification="public",
    )
    first, second = T.tokens("棚田")[0], T.tokens("田百")[0]
    with connection.cursor() as cur:
        phrase = "SELECT %s::tsvector @@ %s::tsquery"
        cur.execute(phrase, [f"{first}:100 {second}:101", f"{first} <-> {second}"])
        assert cur.fetchone()[0] is True
        # Where "棚田百選" really sits in the long text: both positions become 16383.
        cur.execute(phrase, [f"{first}:20000 {second}:20001", f"{first} <-> {second}"])
        assert cur.fetchone()[0] is False
    assert [h.id for h in search(q="棚田百選", visible=DOCS).hits] == [1]


@pytest.fixture
def prepared_statements():
    """The connection as with ``OPTIONS['prepare_threshold']`` set (Django's default is None):
    the PostgreSQL search then runs as a prepared statement with its generic plan."""
    connection.ensure_connection()
    raw = connection.connection
    before = raw.prepare_threshold
    raw.prepare_threshold = 5
    yield raw
    raw.prepare_threshold = before


def _prepared_searches() -> list[tuple[str, int, int]]:
    with connection.cursor() as cur:
        cur.execute(
            "SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements "
            "WHERE statement LIKE %s",
            ["%documents_search_gin%"],
        )
        return cur.fetchall()


def _setting(name: str) -> str:
    with connection.cursor() as cur:
        cur.execute("SELECT current_setting(%s)", [name])
        return cur.fetchone()[0]


@pytest.mark.postgres
def test_postgresql_prepared_search_equals_the_oracle_with_generic_plans(
    indexed, prepared_statements
):
    _assert_equal_to_oracle(indexed)
    prepared = _prepared_searches()
    # 2-character, 3-character and longer terms: one statement each (and the count past the
    # end), each run with its generic plan only: never planned again.
    assert 3 <= len(prepared) <= 6
    assert all(generic > 0 and custom == 0 for _sql, generic, custom in prepared)


@pytest.mark.postgres
def test_postgresql_prepared_search_is_one_query_and_puts_the_settings_back(
    prepared_statements,
):
    entries = corpus(size=60)
    index_replace_all(entries)
    with connection.cursor() as cur:
        cur.execute("SET LOCAL plan_cache_mode = force_custom_plan")
    with CaptureQueriesContext(connection) as queries:
        long_term = search(q="会計年度任用職員", visible=DOCS, limit=100)
    assert len(queries) == 1  # the search; its settings go in the same round trip
    assert long_term.total == len(oracle(entries, "会計年度任用職員")) > 0
    assert {h.id for h in long_term.hits} == oracle(entries, "会計年度任用職員")
    assert (_seqscan_setting(), _setting("plan_cache_mode")) == ("on", "force_custom_plan")
    past_the_end = search(q="市民", visible=DOCS, offset=10_000)  # the count on its own
    assert (past_the_end.hits, past_the_end.total) == ([], len(oracle(entries, "市民")))
    assert (_seqscan_setting(), _setting("plan_cache_mode")) == ("on", "force_custom_plan")


@pytest.mark.postgres
def test_postgresql_prepared_search_survives_a_rolled_back_savepoint(prepared_statements):
    """A statement prepared inside a rolled-back (sub)transaction is gone from the server; psycopg
    forgets it too and prepares it again, instead of failing with 'does not exist'."""
    entries = corpus(size=60)
    index_replace_all(entries)
    expected = len(oracle(entries, "予算"))

    class Undo(Exception):
        pass

    def search_then_roll_back() -> None:
        with transaction.atomic():
            assert search(q="予算", visible=DOCS).total == expected
            raise Undo

    with pytest.raises(Undo):
        search_then_roll_back()
    assert search(q="予算", visible=DOCS).total == expected
    assert _prepared_searches()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_postgresql_prepared_search_outside_a_transaction_leaves_no_setting_behind(
    prepared_statements,
):
    entries = corpus(size=60)
    index_replace_all(entries)
    assert not connection.in_atomic_block
    for _ in range(3):  # prepared on the first run, reused after
        result = search(q="予算", visible=DOCS)
        assert result.total == len(oracle(entries, "予算")) > 0
    assert (_seqscan_setting(), _setting("plan_cache_mode")) == ("on", "auto")
    # The settings reached the search in the same implicit transaction: generic plans only.
    prepared = _prepared_searches()
    assert prepared
    assert all(generic > 0 and custom == 0 for _sql, generic, custom in prepared)
