# ruff: noqa: S608 — SQL here interpolates only this module's table names and "%s" placeholders;
# every value, the query text included, is a parameter.
"""The two index engines: SQLite FTS5 and PostgreSQL tsvector + GIN, behind one small interface.

Both store the same tables (created by the search_index migration, raw SQL so the index depends
on no model of any app): ``documents_search_entry`` (one row per indexed object, with what
visibility needs) and ``documents_search_chunk`` (the title as chunk 0, the text in overlapping
chunks, each normalised and original). The engines only differ in where the bigram tokens go:

* SQLite: a contentless FTS5 table ``documents_search_fts`` (rowid = chunk id, ``detail=none``:
  no positions, we recheck instead). Contentless means deleting a row needs its tokens again;
  they are recomputed from the stored normalised text (``text.tokens`` is deterministic).
* PostgreSQL: a position-less ``tsvector`` column on the chunk with a GIN index, built from a
  literal (never through a text search parser, which would re-split the tokens).

A query is "every bigram of q" (a superset, from the index) and then ``instr``/``strpos`` on the
candidates' normalised text (exact). Positions are not used: a tsvector keeps at most 256
positions per lexeme and none past 16,383, so a phrase query misses hits in long texts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from documents.search import text as T

ENTRY = "documents_search_entry"
CHUNK = "documents_search_chunk"
FTS = "documents_search_fts"


@dataclass(frozen=True)
class IndexEntry:
    """What the index keeps of one object (a document, a proposal, ...)."""

    kind: str
    object_id: int
    title: str
    text: str
    owner_unit_id: int | None
    classification: str


@dataclass(frozen=True)
class Row:
    """One result row of a query, before snippets."""

    entry_id: int
    kind: str
    object_id: int
    title: str
    in_title: bool
    occurrences: int
    snippet_seq: int
    total: int


class Engine:
    """SQL shared by both engines; subclasses add where the tokens live."""

    vendor = ""
    match_sql = ""  # a condition on chunk ``c`` with two params: the tokens query, the query text

    # --- writes ---------------------------------------------------------------------------
    def upsert(self, entry: IndexEntry) -> None:
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute(
                f"SELECT id FROM {ENTRY} WHERE kind = %s AND object_id = %s", [*_key(entry)]
            )
            found = cur.fetchone()
            if found:
                entry_id = found[0]
                self._delete_chunks(cur, [entry_id])
                cur.execute(
                    f"UPDATE {ENTRY} SET title = %s, owner_unit_id = %s, classification = %s, "
                    "updated_at = %s WHERE id = %s",
                    [entry.title, entry.owner_unit_id, entry.classification, _now(), entry_id],
                )
            else:
                entry_id = self._new_ids(cur, ENTRY, 1)[0]
                cur.execute(
                    f"INSERT INTO {ENTRY} (id, kind, object_id, title, owner_unit_id, "
                    "classification, updated_at) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                    [entry_id, *_entry_values(entry)],
                )
            self._insert_chunks(cur, [(entry_id, c) for c in T.chunks(entry.title, entry.text)])

    def delete(self, kind: str, object_id: int) -> bool:
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute(
                f"SELECT id FROM {ENTRY} WHERE kind = %s AND object_id = %s", [kind, object_id]
            )
            found = cur.fetchone()
            if not found:
                return False
            self._delete_chunks(cur, [found[0]])
            cur.execute(f"DELETE FROM {ENTRY} WHERE id = %s", [found[0]])
            return True

    def bulk_insert(self, entries: Sequence[IndexEntry]) -> None:
        """Insert entries known to be absent (after ``clear`` or in a fresh index), in one go."""
        if not entries:
            return
        with transaction.atomic(), connection.cursor() as cur:
            ids = self._new_ids(cur, ENTRY, len(entries))
            now = _now()
            cur.executemany(
                f"INSERT INTO {ENTRY} (id, kind, object_id, title, owner_unit_id, "
                "classification, updated_at) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                [[i, *_entry_values(e, now)] for i, e in zip(ids, entries, strict=True)],
            )
            self._insert_chunks(
                cur,
                [
                    (i, c)
                    for i, e in zip(ids, entries, strict=True)
                    for c in T.chunks(e.title, e.text)
                ],
            )

    def clear(self, kind: str | None = None) -> None:
        """Empty the index (or one kind of it)."""
        with transaction.atomic(), connection.cursor() as cur:
            if kind is None:
                self._clear_all(cur)
                return
            cur.execute(f"SELECT id FROM {ENTRY} WHERE kind = %s", [kind])
            ids = [r[0] for r in cur.fetchall()]
            for start in range(0, len(ids), 500):
                batch = ids[start : start + 500]
                self._delete_chunks(cur, batch)
                cur.execute(f"DELETE FROM {ENTRY} WHERE id IN ({_marks(batch)})", batch)

    # --- reads ----------------------------------------------------------------------------
    def query(
        self, norm_q: str, visibility: tuple[str, list[Any]], limit: int, offset: int
    ) -> list[Row]:
        """One page of visible entries containing ``norm_q``, best first, with the total."""
        vis_sql, vis_params = visibility
        sql = f"""
            WITH hits AS (
                SELECT c.entry_id, c.seq,
                       (LENGTH(c.norm) - LENGTH(REPLACE(c.norm, %s, ''))) / %s AS n
                FROM {self.from_sql}
                WHERE {self.match_sql}
            )
            SELECT e.id, e.kind, e.object_id, e.title,
                   MAX(CASE WHEN h.seq = 0 THEN 1 ELSE 0 END) AS in_title,
                   SUM(h.n) AS n,
                   COALESCE(MIN(CASE WHEN h.seq > 0 THEN h.seq END), 1) AS snippet_seq,
                   COUNT(*) OVER () AS total
            FROM hits h JOIN {ENTRY} e ON e.id = h.entry_id
            WHERE {vis_sql}
            GROUP BY e.id, e.kind, e.object_id, e.title, e.updated_at
            ORDER BY in_title DESC, n DESC, e.updated_at DESC, e.id DESC
            LIMIT %s OFFSET %s
        """
        params = [
            norm_q,
            len(norm_q),
            self.tokens_query(T.query_tokens(norm_q)),
            norm_q,
            *vis_params,
            limit,
            offset,
        ]
        with connection.cursor() as cur:
            cur.execute(sql, params)
            return [
                Row(r[0], r[1], r[2], r[3], bool(r[4]), int(r[5]), int(r[6]), int(r[7]))
                for r in cur.fetchall()
            ]

    def count(self, norm_q: str, visibility: tuple[str, list[Any]]) -> int:
        vis_sql, vis_params = visibility
        sql = f"""
            SELECT COUNT(*) FROM {ENTRY} e WHERE e.id IN (
                SELECT c.entry_id FROM {self.from_sql} WHERE {self.match_sql}
            ) AND {vis_sql}
        """
        with connection.cursor() as cur:
            tq = self.tokens_query(T.query_tokens(norm_q))
            cur.execute(sql, [tq, norm_q, *vis_params])
            return int(cur.fetchone()[0])

    def originals(self, pairs: Iterable[tuple[int, int]]) -> dict[tuple[int, int], str]:
        """The original text of chunks, by (entry id, seq)."""
        pairs = list(pairs)
        if not pairs:
            return {}
        cond = " OR ".join(["(entry_id = %s AND seq = %s)"] * len(pairs))
        with connection.cursor() as cur:
            cur.execute(
                f"SELECT entry_id, seq, orig FROM {CHUNK} WHERE {cond}",
                [v for pair in pairs for v in pair],
            )
            return {(r[0], r[1]): r[2] for r in cur.fetchall()}

    def stats(self) -> dict[str, int]:
        with connection.cursor() as cur:
            cur.execute(f"SELECT COUNT(*) FROM {ENTRY}")
            entries = cur.fetchone()[0]
            cur.execute(f"SELECT COUNT(*) FROM {CHUNK}")
            return {"entries": entries, "chunks": cur.fetchone()[0]}

    # --- engine specifics -----------------------------------------------------------------
    from_sql = ""

    def tokens_query(self, toks: list[str]) -> str:
        raise NotImplementedError

    def _new_ids(self, cur: Any, table: str, n: int) -> list[int]:
        raise NotImplementedError

    def _insert_chunks(self, cur: Any, rows: list[tuple[int, T.Chunk]]) -> None:
        raise NotImplementedError

    def _delete_chunks(self, cur: Any, entry_ids: list[int]) -> None:
        raise NotImplementedError

    def _clear_all(self, cur: Any) -> None:
        raise NotImplementedError


class SqliteEngine(Engine):
    vendor = "sqlite"
    from_sql = f"{FTS} f JOIN {CHUNK} c ON c.id = f.rowid"
    match_sql = f"{FTS} MATCH %s AND INSTR(c.norm, %s) > 0"

    def tokens_query(self, toks: list[str]) -> str:
        # Quoted strings: FTS5 reads an unquoted token as syntax when it looks like a keyword.
        return " AND ".join(f'"{t}"' for t in toks)

    def _new_ids(self, cur: Any, table: str, n: int) -> list[int]:
        # Safe without a sequence: every write runs in a transaction that holds SQLite's write
        # lock from its first statement (transaction_mode IMMEDIATE in settings).
        cur.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")
        first = cur.fetchone()[0] + 1
        return list(range(first, first + n))

    def _insert_chunks(self, cur: Any, rows: list[tuple[int, T.Chunk]]) -> None:
        ids = self._new_ids(cur, CHUNK, len(rows))
        cur.executemany(
            f"INSERT INTO {CHUNK} (id, entry_id, seq, norm, orig) VALUES (%s, %s, %s, %s, %s)",
            [[i, e, c.seq, c.norm, c.orig] for i, (e, c) in zip(ids, rows, strict=True)],
        )
        cur.executemany(
            f"INSERT INTO {FTS} (rowid, tokens) VALUES (%s, %s)",
            [[i, " ".join(T.tokens(c.norm))] for i, (_e, c) in zip(ids, rows, strict=True)],
        )

    def _delete_chunks(self, cur: Any, entry_ids: list[int]) -> None:
        cur.execute(
            f"SELECT id, norm FROM {CHUNK} WHERE entry_id IN ({_marks(entry_ids)})", entry_ids
        )
        old = cur.fetchall()
        cur.executemany(
            f"INSERT INTO {FTS} ({FTS}, rowid, tokens) VALUES ('delete', %s, %s)",
            [[i, " ".join(T.tokens(norm))] for i, norm in old],
        )
        cur.execute(f"DELETE FROM {CHUNK} WHERE entry_id IN ({_marks(entry_ids)})", entry_ids)

    def _clear_all(self, cur: Any) -> None:
        cur.execute(f"INSERT INTO {FTS} ({FTS}) VALUES ('delete-all')")
        cur.execute(f"DELETE FROM {CHUNK}")
        cur.execute(f"DELETE FROM {ENTRY}")


class PostgresEngine(Engine):
    vendor = "postgresql"
    from_sql = f"{CHUNK} c"
    match_sql = "c.tokens @@ %s::tsquery AND STRPOS(c.norm, %s) > 0"

    def tokens_query(self, toks: list[str]) -> str:
        return " & ".join(toks)

    def _new_ids(self, cur: Any, table: str, n: int) -> list[int]:
        cur.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [table, n],
        )
        return [r[0] for r in cur.fetchall()]

    def _insert_chunks(self, cur: Any, rows: list[tuple[int, T.Chunk]]) -> None:
        # A tsvector literal, not to_tsvector(): the text search parser would split our tokens.
        cur.executemany(
            f"INSERT INTO {CHUNK} (entry_id, seq, norm, orig, tokens) "
            "VALUES (%s, %s, %s, %s, %s::tsvector)",
            [[e, c.seq, c.norm, c.orig, " ".join(T.tokens(c.norm))] for e, c in rows],
        )

    def _delete_chunks(self, cur: Any, entry_ids: list[int]) -> None:
        cur.execute(f"DELETE FROM {CHUNK} WHERE entry_id IN ({_marks(entry_ids)})", entry_ids)

    def _clear_all(self, cur: Any) -> None:
        cur.execute(f"TRUNCATE {CHUNK}, {ENTRY}")


def get_engine() -> Engine:
    """The engine of the default database."""
    return PostgresEngine() if connection.vendor == "postgresql" else SqliteEngine()


def _key(entry: IndexEntry) -> tuple[str, int]:
    return entry.kind, entry.object_id


def _entry_values(entry: IndexEntry, now: Any = None) -> list[Any]:
    return [
        entry.kind,
        entry.object_id,
        entry.title,
        entry.owner_unit_id,
        entry.classification,
        now or _now(),
    ]


def _now() -> Any:
    # Raw SQL: adapt as Django would (an ISO string on SQLite, an aware datetime on PostgreSQL).
    return connection.ops.adapt_datetimefield_value(timezone.now())


def _marks(values: Sequence[Any]) -> str:
    return ", ".join(["%s"] * len(values))
