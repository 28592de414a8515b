# ruff: noqa: S608 — SQL here interpolates only this module's table names, numbers it computed
# and "%s" placeholders; every value, the query text included, is a parameter.
"""PostgreSQL engine: one GIN-indexed row per entry (and per further text chunk) with its
bigram and trigram lexemes out of line and its normalised text inline."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any, cast

import psycopg
from django.db import connection

from documents.search import text as T
from documents.search.engine import (
    CHUNK,
    ENTRY,
    GIN,
    SEQ_SPAN,
    SOURCE,
    ChunkRow,
    Engine,
    Row,
    Visible,
    visibility_sql,
)


class PostgresEngine(Engine):
    """tsvector + GIN over ``documents_search_gin``: one row per entry for texts up to one chunk
    (title and text together), one per text chunk beyond; see engine.py's docstring."""

    vendor = "postgresql"

    def query(
        self, norm_q: str, visible: Mapping[str, Visible], limit: int, offset: int
    ) -> tuple[list[Row], int]:
        # Visibility reads the GIN rows' own columns (and a selector's subquery on object_id):
        # the bitmap heap scan visits those rows anyway, so no join and no attribute lexemes.
        vis_sql, vis_params = visibility_sql(visible)
        verify, verify_params = "", []
        if len(norm_q) > 3:
            # Only these need the text: 2 and 3 characters are one lexeme, an exact answer. The
            # row's own text is checked while the scan visits it (a lookup in the chunk table
            # per candidate cost ~3 µs: 27 ms for a term in 8% of 100,000 documents, now 18).
            verify = " AND (STRPOS(e.title, %s) > 0 OR STRPOS(e.norm, %s) > 0)"
            verify_params = [norm_q, norm_q]
        per_entry = f"""
            WITH per_entry AS (
                SELECT e.entry_id, BOOL_OR(STRPOS(e.title, %s) > 0) AS in_title
                FROM {GIN} e WHERE e.tokens @@ %s::tsquery AND ({vis_sql}){verify}
                GROUP BY e.entry_id
            )
        """
        params = [norm_q, _pg_match(norm_q), *vis_params, *verify_params]
        with connection.cursor() as cur:
            # One statement: the page, its total, and for each entry on it the first text chunk
            # with a hit (else chunk 1) with its texts for the snippet. The normalised text of
            # that chunk is its GIN row's: row 1 (chunk 1, with the title) is read for every
            # entry on the page and nearly always holds the hit; only when it does not are the
            # entry's further rows looked at (a long text, or a hit in the title only): the
            # first branch of the UNION ALL that gives a row ends the lateral (LIMIT 1).
            found = _select_by_index(
                cur,
                f"""{per_entry},
                page AS (
                    SELECT entry_id, in_title, COUNT(*) OVER () AS total FROM per_entry
                    ORDER BY in_title DESC, entry_id DESC LIMIT %s OFFSET %s
                )
                SELECT p.entry_id, p.in_title, p.total, e.kind, e.object_id, e.title, x.seq,
                       s.orig, x.norm
                FROM page p JOIN {ENTRY} e ON e.id = p.entry_id
                LEFT JOIN {GIN} g ON g.id = p.entry_id * {SEQ_SPAN} + 1
                CROSS JOIN LATERAL (
                    SELECT 1 AS seq, g.norm WHERE STRPOS(g.norm, %s) > 0
                    UNION ALL (
                        SELECT c.id - p.entry_id * {SEQ_SPAN}, c.norm FROM {GIN} c
                        WHERE c.id > p.entry_id * {SEQ_SPAN} + 1
                        AND c.id < (p.entry_id + 1) * {SEQ_SPAN} AND STRPOS(c.norm, %s) > 0
                        ORDER BY c.id LIMIT 1)
                    UNION ALL SELECT 1, g.norm
                    LIMIT 1) x
                LEFT JOIN {SOURCE} s ON s.id = p.entry_id * {SEQ_SPAN} + x.seq
                ORDER BY p.in_title DESC, p.entry_id DESC""",
                [*params, limit, offset, norm_q, norm_q],
            )
            if found or not offset:
                total = int(found[0][2]) if found else 0
            else:  # past the last page: count on its own
                counted = _select_by_index(
                    cur, f"{per_entry} SELECT COUNT(*) FROM per_entry", params
                )
                total = int(counted[0][0])
        rows = [
            Row(entry_id, kind, object_id, title, bool(in_title), seq, (orig or "", norm or ""))
            for entry_id, in_title, _total, kind, object_id, title, seq, orig, norm in found
        ]
        return rows, total

    def _lock_entry(self, cur: Any, kind: str, object_id: int) -> None:
        # Two writers of one entry (two services, a reindex) would otherwise both replace its
        # rows: ids are entry * 65536 + seq, so the second insert collides or leaves a mix.
        cur.execute("SELECT pg_advisory_xact_lock(%s)", [_advisory_key(kind, object_id)])

    def _new_entry_ids(self, cur: Any, n: int) -> list[int]:
        cur.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [ENTRY, n],
        )
        return [r[0] for r in cur.fetchall()]

    def _insert_tokens(self, cur: Any, ids: list[int], rows: list[ChunkRow]) -> None:
        cur.executemany(
            f"INSERT INTO {CHUNK} (id, entry_id, seq, norm) VALUES (%s, %s, %s, %s)",
            [[i, e, c.seq, c.norm] for i, (e, _entry, c) in zip(ids, rows, strict=True)],
        )
        cur.executemany(GIN_INSERT, gin_rows(rows))

    def _delete_tokens(self, cur: Any, entry_ids: list[int]) -> None:
        for entry_id in entry_ids:
            span = [entry_id * SEQ_SPAN, (entry_id + 1) * SEQ_SPAN]
            cur.execute(f"DELETE FROM {GIN} WHERE id >= %s AND id < %s", span)

    def _clear_all(self, cur: Any) -> None:
        cur.execute(f"TRUNCATE {SOURCE}, {CHUNK}, {GIN}, {ENTRY}")


def _select_by_index(cur: Any, sql: str, params: Sequence[Any]) -> list[tuple]:
    """Run a search SELECT with sequential scans off, in one round trip.

    Every tsvector is out of line, so the planner prices a sequential scan by the heap's pages
    and picks it for frequent terms — but that scan reads each row's tsvector from TOAST to
    evaluate @@ (measured: 1.2 s instead of 0.2 s for a term in 92%
    of 100,000 documents). The GIN index is always the right path.

    When the connection may keep prepared statements (``OPTIONS['prepare_threshold']`` is a
    number; Django's default ``None`` means no, for connection poolers), the search is a server-
    side prepared statement run with its generic plan: ``_select_prepared``. Otherwise Django's
    client-side binding sends the three statements as one message: outside a transaction that is
    one implicit transaction, and ``SET LOCAL`` ends with it; inside one, the last statement puts
    the default back. No BEGIN/COMMIT round trips of our own (they were ~1 ms of a 3 ms search).
    """
    if _may_prepare():
        return _select_prepared(sql, params)
    cur.execute(f"SET LOCAL enable_seqscan = off; {sql}; SET LOCAL enable_seqscan = on", params)
    cur.nextset()
    return cur.fetchall()


def _may_prepare() -> bool:
    """Whether this connection keeps prepared statements: psycopg 3 with a prepare threshold.

    Django sets ``prepare_threshold=None`` unless the database's OPTIONS name one, because a
    pooler in transaction mode (pgbouncer before 1.21, or without ``max_prepared_statements``)
    hands each transaction another server session, where the statement does not exist.
    """
    raw = connection.connection
    return raw is not None and getattr(raw, "prepare_threshold", None) is not None


# The planner settings of one search, set for the current transaction only; the first statement
# keeps the values it replaces so that, inside a transaction, the last one puts them back.
_SETTINGS_ON = (
    "SELECT set_config('kairan.search_seqscan', current_setting('enable_seqscan'), true), "
    "set_config('kairan.search_plan_cache', current_setting('plan_cache_mode'), true), "
    "set_config('enable_seqscan', 'off', true), "
    "set_config('plan_cache_mode', 'force_generic_plan', true)"
)
_SETTINGS_BACK = (
    "SELECT set_config('enable_seqscan', current_setting('kairan.search_seqscan'), true), "
    "set_config('plan_cache_mode', current_setting('kairan.search_plan_cache'), true)"
)


def _select_prepared(sql: str, params: Sequence[Any]) -> list[tuple]:
    """The search as a prepared statement with its generic plan, in one round trip.

    Planning cost ~0.3 ms of a ~2 ms search; a prepared statement is planned once per server
    session. ``force_generic_plan``: the generic plan prices ``tokens @@ $n`` at PostgreSQL's
    default selectivity and always takes the GIN index, while custom plans would be made (and
    paid for) on every run. Server-side binding (psycopg's ``Cursor``, not Django's
    ``ClientCursor``) in pipeline mode: the settings, the search and (inside a transaction) the
    reset go in one message. Outside a transaction they share one implicit transaction, which
    ends at the pipeline's sync and takes the local settings with it (``set_config(..., true)``
    rather than ``SET LOCAL``, which warns outside a transaction block). psycopg names and
    tracks the statements per connection (a pooled connection keeps them; a rollback makes it
    forget them, and it deallocates the oldest past 100).
    """
    raw = connection.connection
    wrap = connection.make_debug_cursor if connection.queries_logged else connection.make_cursor
    with connection.wrap_database_errors, raw.pipeline():
        settings = connection.make_cursor(cast(Any, _PreparingCursor(raw)))
        search = wrap(cast(Any, _PreparingCursor(raw)))  # logged and counted like any query
        settings.execute(_SETTINGS_ON)
        search.execute(sql, params)
        if not raw.autocommit:  # inside a transaction (an atomic block): put the settings back
            settings.execute(_SETTINGS_BACK)
    return search.fetchall()


class _PreparingCursor(psycopg.Cursor):  # type: ignore[type-arg]
    """Server-side binding, every statement prepared (Django's wrapper passes no ``prepare``)."""

    def execute(
        self, query: Any, params: Any = None, *, prepare: bool | None = None, **kw: Any
    ) -> Any:
        return super().execute(query, params, prepare=True if prepare is None else prepare, **kw)


def _pg_match(norm_q: str) -> str:
    """The term as a tsquery: its bigram (2 characters) or trigram (3), both exact, or the AND
    of its trigrams (a superset, verified against the text)."""
    if len(norm_q) == 2:
        return T.tokens(norm_q)[0]
    return " & ".join(T.trigram_tokens(norm_q))


def _pg_lexemes(norm: str) -> list[str]:
    return [*T.tokens(norm), *T.trigram_tokens(norm)]


GIN_INSERT = (
    f"INSERT INTO {GIN} (id, entry_id, kind, object_id, owner_unit_id, classification, title, "
    "norm, tokens) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s::tsvector)"
)


def gin_rows(rows: Sequence[ChunkRow]) -> list[list[Any]]:
    """``documents_search_gin`` rows (``GIN_INSERT``'s values) for the chunks of whole entries:
    text chunk k is row k; the title (chunk 0) joins row 1, or is row 1 alone."""
    titles = {e: c.norm for e, _entry, c in rows if c.seq == 0}
    with_text = {e for e, _entry, c in rows if c.seq == 1}
    out = []
    for entry_id, entry, chunk in rows:
        if chunk.seq == 0 and entry_id in with_text:
            continue  # merged into row 1 below
        lexemes = set(_pg_lexemes(chunk.norm)) if chunk.seq else set()
        title = ""
        if chunk.seq <= 1:
            title = titles[entry_id]
            lexemes.update(_pg_lexemes(title))
        out.append(
            [
                entry_id * SEQ_SPAN + max(chunk.seq, 1),
                entry_id,
                entry.kind,
                entry.object_id,
                entry.owner_unit_id,
                entry.classification,
                title,
                chunk.norm if chunk.seq else "",
                # A literal, not to_tsvector(): the text search parser would split our tokens.
                " ".join(sorted(lexemes)),
            ]
        )
    return out


def _advisory_key(kind: str, object_id: int) -> int:
    digest = hashlib.blake2b(f"documents.search\0{kind}\0{object_id}".encode(), digest_size=8)
    return int.from_bytes(digest.digest(), "big", signed=True)
