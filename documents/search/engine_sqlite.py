# ruff: noqa: S608 — SQL here interpolates only this module's table names, numbers it computed
# and "%s" placeholders; every value, the query text included, is a parameter.
"""SQLite engine: a contentless FTS5 table of every bigram in order; a query is one phrase."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import connection

from documents.search import text as T
from documents.search.engine import (
    CHUNK,
    CONFIDENTIAL,
    ENTRY,
    FEW_CANDIDATES,
    FTS,
    SEQ_BITS,
    SEQ_SPAN,
    SOURCE,
    ChunkRow,
    Engine,
    IndexEntry,
    Row,
    Visible,
    _marks,
)


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


# SQLite: attribute tokens, after the bigrams of every FTS5 row, so visibility by kind,
# classification and owning unit is evaluated inside the index. They start with "z",
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


def _visibility_expression(visible: Mapping[str, Visible]) -> str | None:
    """Rules without a selector queryset as an FTS5 expression of attribute tokens; None when
    nothing at all is visible."""
    parts = []
    for kind, rule in sorted(visible.items()):
        if rule.everything:
            parts.append(_kind_token(kind))
        elif rule.classified:
            either = " OR ".join([OPEN_ATTR, *(_unit_token(u) for u in rule.units)])
            parts.append(f"({_kind_token(kind)} AND ({either}))")
    return " OR ".join(parts) or None


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
