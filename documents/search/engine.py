# ruff: noqa: S608 — SQL here interpolates only this module's table names, numbers it computed
# and "%s" placeholders; every value, the query text included, is a parameter.
"""The two index engines: SQLite FTS5 and PostgreSQL tsvector + GIN, behind one small interface.

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
* PostgreSQL: a position-less ``tsvector`` of the distinct bigrams with a GIN index, built
  from a literal (never through a text search parser, which would re-split the tokens). A
  query is the AND of the bigrams (a superset) and ``strpos`` on the candidates (exact).
  Positions are not used: a tsvector keeps at most 256 positions per lexeme and none past
  16,383, so a phrase query would silently miss hits in long texts.
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


class Engine:
    """SQL shared by both engines; subclasses say where the tokens live and how to match."""

    vendor = ""

    # --- writes ---------------------------------------------------------------------------
    def upsert(self, entry: IndexEntry) -> None:
        with transaction.atomic(), connection.cursor() as cur:
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

    def _new_entry_ids(self, cur: Any, n: int) -> list[int]:
        raise NotImplementedError

    def _insert_tokens(self, cur: Any, ids: list[int], rows: list[ChunkRow]) -> None:
        raise NotImplementedError

    def _delete_tokens(self, cur: Any, entry_ids: list[int]) -> None:
        raise NotImplementedError

    def _clear_all(self, cur: Any) -> None:
        raise NotImplementedError


class SqliteEngine(Engine):
    vendor = "sqlite"

    def hits(self, norm_q: str) -> tuple[str, list[Any]]:
        return (
            f"SELECT rowid >> {SEQ_BITS} AS entry_id, rowid & {SEQ_SPAN - 1} AS seq "
            f"FROM {FTS} WHERE {FTS} MATCH %s",
            [_phrase(norm_q)],
        )

    def query(
        self, norm_q: str, visible: Mapping[str, Visible], limit: int, offset: int
    ) -> tuple[list[Row], int]:
        if any(rule.ids is not None for rule in visible.values()):
            return super().query(norm_q, visible, limit, offset)
        expression = _visibility_expression(visible)
        if expression is None:
            return [], 0
        phrase = _phrase(norm_q)
        with connection.cursor() as cur:
            # Bounded: only "more than FEW_CANDIDATES or not" matters.
            cur.execute(
                f"SELECT COUNT(*) FROM (SELECT 1 FROM {FTS} WHERE {FTS} MATCH %s LIMIT %s)",
                [phrase, FEW_CANDIDATES + 1],
            )
            candidates = cur.fetchone()[0]
        # Attribute tokens have huge doclists (every chunk has its kind): matching them costs
        # about 2.5 ms on 100,000 documents even for a rare term, while joining a few hundred
        # candidate rows costs a fraction of that. Measured crossover: a few thousand rows.
        if candidates <= FEW_CANDIDATES:
            return super().query(norm_q, visible, limit, offset)
        return self._query_in_fts(f"{phrase} AND ({expression})", limit, offset)

    def _query_in_fts(self, match: str, limit: int, offset: int) -> tuple[list[Row], int]:
        """The same page as the SQL path, from FTS5 alone: visibility is in the attribute
        tokens, rowids order the entries, and the page stops reading once it is full."""
        in_fts = f"FROM {FTS} WHERE {FTS} MATCH %s"
        title_row = f"(rowid & {SEQ_SPAN - 1}) = 0"
        with connection.cursor() as cur:
            cur.execute(
                f"SELECT COUNT(DISTINCT rowid >> {SEQ_BITS}), "
                f"COALESCE(SUM({title_row}), 0) {in_fts}",
                [match],
            )
            total, in_titles = cur.fetchone()
            page: list[tuple[int, int | None]] = []  # (entry id, first text chunk hit)
            if offset < in_titles:
                cur.execute(
                    f"SELECT rowid >> {SEQ_BITS} {in_fts} AND {title_row} "
                    "ORDER BY rowid DESC LIMIT %s OFFSET %s",
                    [match, limit, offset],
                )
                page += [(r[0], None) for r in cur.fetchall()]
            if len(page) < limit and offset + len(page) < total:
                skip = max(0, offset - in_titles)
                cur.execute(f"SELECT rowid {in_fts} ORDER BY rowid DESC", [match])
                page += _text_only_entries(cur, skip, limit - len(page))
            rows = self._rows(cur, match, page)
        return rows, int(total)

    def _rows(self, cur: Any, match: str, page: list[tuple[int, int | None]]) -> list[Row]:
        """Rows for the page; ``None`` as the chunk marks a title hit, whose first text hit (if
        any) is looked up here: the stream of text hits never read that far."""
        if not page:
            return []
        ids = [entry_id for entry_id, _ in page]
        cur.execute(
            f"SELECT id, kind, object_id, title FROM {ENTRY} WHERE id IN ({_marks(ids)})", ids
        )
        entries = {r[0]: r for r in cur.fetchall()}
        rows = []
        for entry_id, body_seq in page:
            seq = body_seq
            if seq is None:
                cur.execute(
                    f"SELECT rowid FROM {FTS} WHERE {FTS} MATCH %s AND rowid > %s "
                    "AND rowid < %s ORDER BY rowid LIMIT 1",
                    [match, entry_id * SEQ_SPAN, (entry_id + 1) * SEQ_SPAN],
                )
                first = cur.fetchone()
                seq = first[0] & (SEQ_SPAN - 1) if first else 1
            _id, kind, object_id, title = entries[entry_id]
            rows.append(Row(entry_id, kind, object_id, title, body_seq is None, seq))
        return rows

    def _new_entry_ids(self, cur: Any, n: int) -> list[int]:
        # Safe without a sequence: every write runs in a transaction that holds SQLite's write
        # lock from its first statement (transaction_mode IMMEDIATE in settings).
        cur.execute(f"SELECT COALESCE(MAX(id), 0) FROM {ENTRY}")
        first = cur.fetchone()[0] + 1
        return list(range(first, first + n))

    def _insert_tokens(self, cur: Any, ids: list[int], rows: list[ChunkRow]) -> None:
        cur.executemany(
            f"INSERT INTO {CHUNK} (id, entry_id, seq, norm) VALUES (%s, %s, %s, %s)",
            [[i, e, c.seq, c.norm] for i, (e, _entry, c) in zip(ids, rows, strict=True)],
        )
        cur.executemany(
            f"INSERT INTO {FTS} (rowid, tokens) VALUES (%s, %s)",
            [[i, _fts_tokens(c.norm, entry)] for i, (_e, entry, c) in zip(ids, rows, strict=True)],
        )

    def _delete_tokens(self, cur: Any, entry_ids: list[int]) -> None:
        old: list[list[Any]] = []
        for entry_id in entry_ids:
            cur.execute(
                f"SELECT kind, object_id, owner_unit_id, classification FROM {ENTRY} WHERE id = %s",
                [entry_id],
            )
            kind, object_id, unit, classification = cur.fetchone()
            entry = IndexEntry(kind, object_id, "", "", unit, classification)
            span = [entry_id * SEQ_SPAN, (entry_id + 1) * SEQ_SPAN]
            cur.execute(f"SELECT id, norm FROM {CHUNK} WHERE id >= %s AND id < %s", span)
            old += [[i, _fts_tokens(norm, entry)] for i, norm in cur.fetchall()]
        cur.executemany(f"INSERT INTO {FTS} ({FTS}, rowid, tokens) VALUES ('delete', %s, %s)", old)

    def _clear_all(self, cur: Any) -> None:
        cur.execute(f"INSERT INTO {FTS} ({FTS}) VALUES ('delete-all')")
        for table in (SOURCE, CHUNK, ENTRY):
            cur.execute(f"DELETE FROM {table}")


def _phrase(norm_q: str) -> str:
    # One FTS5 phrase (a quoted string of tokens): consecutive bigrams, i.e. the substring.
    return '"' + " ".join(T.positional_tokens(norm_q)) + '"'


# Attribute tokens, after the bigrams of every chunk (FTS5 row or tsvector), so visibility by
# kind, classification and owning unit is evaluated inside the index. They start with "z",
# which no bigram token does, so no phrase can run into them.
def _kind_token(kind: str) -> str:
    return "zk" + kind.encode().hex()


def _unit_token(unit_id: int) -> str:
    return f"zu{int(unit_id)}"


OPEN_ATTR = "zo"  # not confidential


def _attr_tokens(entry: IndexEntry) -> list[str]:
    attrs = [_kind_token(entry.kind)]
    if entry.classification != CONFIDENTIAL:
        attrs.append(OPEN_ATTR)
    if entry.owner_unit_id is not None:
        attrs.append(_unit_token(entry.owner_unit_id))
    return attrs


def _fts_tokens(norm: str, entry: IndexEntry) -> str:
    return " ".join([*T.positional_tokens(norm), *_attr_tokens(entry)])


def _visibility_expression(
    visible: Mapping[str, Visible], *, and_: str = "AND", or_: str = "OR"
) -> str | None:
    """Rules without a selector queryset as a boolean expression of attribute tokens (FTS5 or
    tsquery syntax); None when nothing at all is visible."""
    parts = []
    for kind, rule in sorted(visible.items()):
        if rule.everything:
            parts.append(_kind_token(kind))
        elif rule.classified:
            either = f" {or_} ".join([OPEN_ATTR, *(_unit_token(u) for u in rule.units)])
            parts.append(f"({_kind_token(kind)} {and_} ({either}))")
    return f" {or_} ".join(parts) or None


def _text_only_entries(cur: Any, skip: int, take: int) -> list[tuple[int, int]]:
    """From rowids in descending order, entries whose title did not match: skip, then take.

    Returns (entry id, its first chunk with a hit). An entry's rows are consecutive (rowid =
    entry * 65536 + seq), its title row (seq 0) last, so an entry is complete when the next
    one starts.
    """
    found: list[tuple[int, int]] = []
    current, first_seq, title_hit = None, 0, False

    def close() -> bool:
        nonlocal skip
        if current is None or title_hit:
            return False
        if skip:
            skip -= 1
            return False
        found.append((current, first_seq))
        return len(found) == take

    for _ in range(1 << 40):  # bounded by the rows of the result
        batch = cur.fetchmany(500)
        if not batch:
            break
        for (rowid,) in batch:
            entry_id, seq = rowid >> SEQ_BITS, rowid & (SEQ_SPAN - 1)
            if entry_id != current:
                if close():
                    return found
                current, first_seq, title_hit = entry_id, seq, False
            # Descending order: the last text chunk seen is the first one of the entry.
            if seq:
                first_seq = seq
            title_hit = title_hit or seq == 0
    close()
    return found


class PostgresEngine(Engine):
    vendor = "postgresql"

    def hits(self, norm_q: str, visibility: str | None = None) -> tuple[str, list[Any]]:
        toks = " & ".join(T.tokens(norm_q))
        tsquery = f"({toks}) & ({visibility})" if visibility else toks
        sql = f"SELECT entry_id, seq FROM {CHUNK} WHERE tokens @@ %s::tsquery"
        if len(norm_q) == 2:  # one bigram: the index answer is already exact
            return sql, [tsquery]
        return sql + " AND STRPOS(norm, %s) > 0", [tsquery, norm_q]

    def query(
        self, norm_q: str, visible: Mapping[str, Visible], limit: int, offset: int
    ) -> tuple[list[Row], int]:
        if any(rule.ids is not None for rule in visible.values()):
            return super().query(norm_q, visible, limit, offset)
        expression = _visibility_expression(visible, and_="&", or_="|")
        if expression is None:
            return [], 0
        # Visibility is in the attribute lexemes (GIN filters it): no join until the page.
        hits_sql, hits_params = self.hits(norm_q, expression)
        sql = f"""
            WITH hits AS ({hits_sql}),
            per_entry AS (
                SELECT entry_id, MIN(seq) AS first_seq,
                       MIN(CASE WHEN seq > 0 THEN seq END) AS body_seq
                FROM hits GROUP BY entry_id
            )
            SELECT entry_id, first_seq, COALESCE(body_seq, 1), COUNT(*) OVER ()
            FROM per_entry
            ORDER BY CASE WHEN first_seq = 0 THEN 0 ELSE 1 END, entry_id DESC
            LIMIT %s OFFSET %s
        """
        with connection.cursor() as cur:
            cur.execute(sql, [*hits_params, limit, offset])
            found = cur.fetchall()
            if found or not offset:
                total = int(found[0][3]) if found else 0
            else:
                cur.execute(
                    f"WITH hits AS ({hits_sql}) SELECT COUNT(DISTINCT entry_id) FROM hits",
                    hits_params,
                )
                total = int(cur.fetchone()[0])
            ids = [r[0] for r in found]
            entries: dict[int, Any] = {}
            if ids:
                cur.execute(
                    f"SELECT id, kind, object_id, title FROM {ENTRY} WHERE id IN ({_marks(ids)})",
                    ids,
                )
                entries = {r[0]: r for r in cur.fetchall()}
        rows = [
            Row(e, entries[e][1], entries[e][2], entries[e][3], first == 0, int(body))
            for e, first, body, _total in found
        ]
        return rows, total

    def _new_entry_ids(self, cur: Any, n: int) -> list[int]:
        cur.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [ENTRY, n],
        )
        return [r[0] for r in cur.fetchall()]

    def _insert_tokens(self, cur: Any, ids: list[int], rows: list[ChunkRow]) -> None:
        # A tsvector literal, not to_tsvector(): the text search parser would split our tokens.
        cur.executemany(
            f"INSERT INTO {CHUNK} (id, entry_id, seq, norm, tokens) "
            "VALUES (%s, %s, %s, %s, %s::tsvector)",
            [
                [i, e, c.seq, c.norm, " ".join([*T.tokens(c.norm), *_attr_tokens(entry)])]
                for i, (e, entry, c) in zip(ids, rows, strict=True)
            ],
        )

    def _delete_tokens(self, cur: Any, entry_ids: list[int]) -> None:
        pass  # the tokens are a column of the chunk rows, deleted with them

    def _clear_all(self, cur: Any) -> None:
        cur.execute(f"TRUNCATE {SOURCE}, {CHUNK}, {ENTRY}")


def get_engine() -> Engine:
    """The engine of the default database."""
    return PostgresEngine() if connection.vendor == "postgresql" else SqliteEngine()


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
