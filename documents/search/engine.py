# ruff: noqa: S608 — SQL here interpolates only this module's table names, numbers it computed
# and "%s" placeholders; every value, the query text included, is a parameter.
"""The two index engines: SQLite FTS5 and PostgreSQL tsvector + GIN, behind one small interface.

This module holds the tables, the shared writes and reads (``Engine``), visibility and
``backend.get_engine``; ``engine_sqlite.py`` and ``engine_postgres.py`` hold what differs.

Tables (the search_index migration, raw SQL: the index depends on no app's models):
``documents_search_entry`` — one row per indexed object, with what visibility needs;
``documents_search_chunk`` — its normalised title (chunk 0) and text (chunks 1.., overlapping);
``documents_search_source`` — the original text of each chunk, read only for snippets.
A chunk's id is ``entry_id * 65536 + seq``, so the index alone tells entry and chunk apart.

* SQLite: a contentless FTS5 table ``documents_search_fts`` (rowid = chunk id) holding every
  bigram token in order. A query is a phrase of the query's bigrams: consecutive positions,
  so FTS5 alone answers "contains the substring" exactly — no row of text is read for a count.
  Contentless means deleting needs the tokens again; they are recomputed from the stored
  normalised text (``text.positional_tokens`` is deterministic).
* PostgreSQL (migrations 0005, 0006): ``documents_search_gin`` holds one row per entry whose
  text fits one chunk — title and text together — and one row per text chunk beyond (id = the
  chunk's id, the title joining row 1), each a position-less ``tsvector`` of the distinct
  bigrams **and trigrams** with a GIN index, built from a literal (never through a text search
  parser, which would re-split the tokens). The tsvector is stored out of line (lz4 where the
  server has it); the row keeps the normalised title and that chunk's normalised text inline.
  A 2- or 3-character query is one lexeme: the index answers it exactly and no text is read.
  A longer one is the AND of its trigrams (a superset) verified with ``strpos`` on the row's
  own title and text while the bitmap heap scan visits it, for those candidates only.
  Positions are not used: a tsvector keeps at most 256 positions per lexeme and none past
  16,383, and a phrase (``<->``) query makes GIN recheck every candidate's tsvector, read from
  TOAST.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from documents.search import text as T

ENTRY = "documents_search_entry"
CHUNK = "documents_search_chunk"
SOURCE = "documents_search_source"
FTS = "documents_search_fts"
GIN = "documents_search_gin"
SEQ_BITS = 16  # chunks per entry < 65536: MAX_TEXT_CHARS / (CHUNK_CHARS - CHUNK_OVERLAP) ≈ 513
SEQ_SPAN = 1 << SEQ_BITS
CONFIDENTIAL = "confidential"
FEW_CANDIDATES = 2000  # SQLite: up to this many chunk hits, visibility by join (see query)


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
class Visible:
    """Which entries of one kind a caller may see; an entry is visible if any part says so.

    ``everything``: all of them (auditors). ``ids``: a queryset whose values are the visible
    object ids — the kind's visibility selector, applied in the same SQL statement as a
    subquery. ``classified``: entries that are not confidential, plus confidential ones owned by
    one of ``units`` (a rule on the index's own columns, for kinds without a selector).
    """

    everything: bool = False
    ids: QuerySet[Any] | None = None
    classified: bool = False
    units: Sequence[int] = ()


ALL = Visible(everything=True)
ChunkRow = tuple[int, IndexEntry, T.Chunk]  # (entry id, what is indexed, one chunk of it)


@dataclass(frozen=True)
class Row:
    """One result row of a query, before snippets."""

    entry_id: int
    kind: str
    object_id: int
    title: str
    in_title: bool
    snippet_seq: int
    text: tuple[str, str] | None = None  # (original, normalised) of that chunk, when at hand


class Engine:
    """SQL shared by both engines; subclasses say where the tokens live and how to match."""

    vendor = ""

    # --- writes ---------------------------------------------------------------------------
    def upsert(self, entry: IndexEntry) -> None:
        with transaction.atomic(), connection.cursor() as cur:
            self._lock_entry(cur, entry.kind, entry.object_id)
            cur.execute(
                f"SELECT id FROM {ENTRY} WHERE kind = %s AND object_id = %s",
                [entry.kind, entry.object_id],
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
                entry_id = self._new_entry_ids(cur, 1)[0]
                cur.execute(
                    f"INSERT INTO {ENTRY} (id, kind, object_id, title, owner_unit_id, "
                    "classification, updated_at) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                    [entry_id, *_entry_values(entry, _now())],
                )
            chunks = T.chunks(entry.title, entry.text)
            self._insert_chunks(cur, [(entry_id, entry, c) for c in chunks])

    def delete(self, kind: str, object_id: int) -> bool:
        with transaction.atomic(), connection.cursor() as cur:
            self._lock_entry(cur, kind, object_id)
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
            ids = self._new_entry_ids(cur, len(entries))
            now = _now()
            cur.executemany(
                f"INSERT INTO {ENTRY} (id, kind, object_id, title, owner_unit_id, "
                "classification, updated_at) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                [[i, *_entry_values(e, now)] for i, e in zip(ids, entries, strict=True)],
            )
            self._insert_chunks(
                cur,
                [
                    (i, e, c)
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

    def _insert_chunks(self, cur: Any, rows: list[ChunkRow]) -> None:
        ids = [e * SEQ_SPAN + c.seq for e, _entry, c in rows]
        cur.executemany(
            f"INSERT INTO {SOURCE} (id, orig) VALUES (%s, %s)",
            [[i, c.orig] for i, (_e, _entry, c) in zip(ids, rows, strict=True)],
        )
        self._insert_tokens(cur, ids, rows)

    def _delete_chunks(self, cur: Any, entry_ids: list[int]) -> None:
        self._delete_tokens(cur, entry_ids)
        for entry_id in entry_ids:
            span = [entry_id * SEQ_SPAN, (entry_id + 1) * SEQ_SPAN]
            cur.execute(f"DELETE FROM {CHUNK} WHERE id >= %s AND id < %s", span)
            cur.execute(f"DELETE FROM {SOURCE} WHERE id >= %s AND id < %s", span)

    # --- reads ----------------------------------------------------------------------------
    def query(
        self, norm_q: str, visible: Mapping[str, Visible], limit: int, offset: int
    ) -> tuple[list[Row], int]:
        """One page of visible entries containing ``norm_q`` (title hits first, then newest
        indexed), and how many there are in all."""
        hits_sql, hits_params = self.hits(norm_q)
        vis_sql, vis_params = visibility_sql(visible)
        sql = f"""
            WITH hits AS ({hits_sql}),
            per_entry AS (
                SELECT entry_id, MIN(seq) AS first_seq,
                       MIN(CASE WHEN seq > 0 THEN seq END) AS body_seq
                FROM hits GROUP BY entry_id
            )
            SELECT e.id, e.kind, e.object_id, e.title, p.first_seq,
                   COALESCE(p.body_seq, 1), COUNT(*) OVER ()
            FROM per_entry p JOIN {ENTRY} e ON e.id = p.entry_id
            WHERE {vis_sql}
            ORDER BY CASE WHEN p.first_seq = 0 THEN 0 ELSE 1 END, e.id DESC
            LIMIT %s OFFSET %s
        """
        with connection.cursor() as cur:
            cur.execute(sql, [*hits_params, *vis_params, limit, offset])
            found = cur.fetchall()
            if found or not offset:
                total = int(found[0][6]) if found else 0
            else:  # past the last page: count on its own
                cur.execute(
                    f"WITH hits AS ({hits_sql}) SELECT COUNT(*) FROM {ENTRY} e "
                    f"WHERE e.id IN (SELECT entry_id FROM hits) AND {vis_sql}",
                    [*hits_params, *vis_params],
                )
                total = int(cur.fetchone()[0])
        return [Row(r[0], r[1], r[2], r[3], r[4] == 0, int(r[5])) for r in found], total

    def originals(self, pairs: Iterable[tuple[int, int]]) -> dict[tuple[int, int], tuple[str, str]]:
        """The original and the normalised text of chunks, by (entry id, seq)."""
        ids = {e * SEQ_SPAN + s: (e, s) for e, s in pairs}
        if not ids:
            return {}
        with connection.cursor() as cur:
            cur.execute(
                f"SELECT s.id, s.orig, c.norm FROM {SOURCE} s JOIN {CHUNK} c ON c.id = s.id "
                f"WHERE s.id IN ({_marks(ids)})",
                list(ids),
            )
            return {ids[r[0]]: (r[1], r[2]) for r in cur.fetchall()}

    # --- engine specifics -----------------------------------------------------------------
    def hits(self, norm_q: str) -> tuple[str, list[Any]]:
        """SQL selecting (entry_id, seq) of every chunk that contains ``norm_q``."""
        raise NotImplementedError

    def _lock_entry(self, cur: Any, kind: str, object_id: int) -> None:
        """Serialise writers of one entry until the end of the transaction (SQLite: nothing to
        do, a write transaction holds the database's write lock from its first statement)."""

    def _new_entry_ids(self, cur: Any, n: int) -> list[int]:
        raise NotImplementedError

    def _insert_tokens(self, cur: Any, ids: list[int], rows: list[ChunkRow]) -> None:
        raise NotImplementedError

    def _delete_tokens(self, cur: Any, entry_ids: list[int]) -> None:
        raise NotImplementedError

    def _clear_all(self, cur: Any) -> None:
        raise NotImplementedError


def _entry_values(entry: IndexEntry, now: Any) -> list[Any]:
    return [
        entry.kind,
        entry.object_id,
        entry.title,
        entry.owner_unit_id,
        entry.classification,
        now,
    ]


def _now() -> Any:
    # Raw SQL: adapt as Django would (an ISO string on SQLite, an aware datetime on PostgreSQL).
    return connection.ops.adapt_datetimefield_value(timezone.now())


def _marks(values: Sequence[Any] | dict[Any, Any]) -> str:
    return ", ".join(["%s"] * len(values))


def visibility_sql(visible: Mapping[str, Visible]) -> tuple[str, list[Any]]:
    """A condition on index entries ``e`` (and its parameters) from per-kind visibility."""
    parts: list[str] = []
    params: list[Any] = []
    for kind, rule in sorted(visible.items()):
        ors: list[str] = []
        if rule.everything:
            ors.append("1 = 1")
        if rule.ids is not None:
            subquery = _ids_subquery(rule.ids)
            params_kind = []
            if subquery is not None:
                ors.append(f"e.object_id IN ({subquery[0]})")
                params_kind = list(subquery[1])
        else:
            params_kind = []
        if rule.classified:
            units = list(rule.units)
            cond = "e.classification <> %s"
            params_kind.append(CONFIDENTIAL)
            if units:
                cond += f" OR e.owner_unit_id IN ({', '.join(['%s'] * len(units))})"
                params_kind.extend(units)
            ors.append(f"({cond})")
        if not ors:
            continue
        parts.append(f"(e.kind = %s AND ({' OR '.join(ors)}))")
        params.extend([kind, *params_kind])
    return (" OR ".join(parts) or "1 = 0"), params


def _ids_subquery(qs: QuerySet[Any]) -> tuple[str, Sequence[Any]] | None:
    """The selector's own SQL as a subquery, or None when it selects nothing (``.none()``).

    Visibility is decided by the database in the same statement, so a page and its total never
    count an entry the caller may not see.
    """
    query = qs.order_by().values_list("pk", flat=True).query
    try:
        sql, params = query.get_compiler(connection=connection).as_sql()
    except EmptyResultSet:
        return None
    return sql, params
