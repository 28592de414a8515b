"""Search: normalise the query, ask the engine, keep what the caller may see, make snippets."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import QuerySet
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from audit.exceptions import ValidationFailed
from documents.search import text as T
from documents.search.engine import get_engine

CONFIDENTIAL = "confidential"
MAX_LIMIT = 100


class QueryRefused(ValidationFailed):
    """The query cannot be searched: shorter than 2 or longer than 100 characters (400)."""


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


@dataclass(frozen=True)
class SearchHit:
    kind: str
    id: int
    title: str
    snippet: SafeString
    rank: int
    in_title: bool


@dataclass(frozen=True)
class SearchPage:
    query: str
    total: int
    hits: list[SearchHit]


def prepare_query(q: str) -> str:
    """The normalised query; raises QueryRefused when it is too short or too long."""
    norm = T.normalize_query(q or "")
    if len(norm) < T.MIN_QUERY_CHARS:
        raise QueryRefused(_("Enter at least 2 characters to search."))
    if len(norm) > T.MAX_QUERY_CHARS:
        raise QueryRefused(
            _("Search terms are limited to %(count)d characters.") % {"count": T.MAX_QUERY_CHARS}
        )
    return norm


def search(
    *, q: str, visible: Mapping[str, Visible], limit: int = 50, offset: int = 0
) -> SearchPage:
    """Entries whose title or text contains ``q`` (normalised), visible per ``visible``.

    Kinds absent from ``visible`` are never returned. Rank: title hits first, then the number of
    occurrences, then the most recently indexed. Raises QueryRefused for a bad query.
    """
    norm_q = prepare_query(q)
    limit = max(1, min(limit, MAX_LIMIT))
    offset = max(0, offset)
    visibility = visibility_sql(visible)
    engine = get_engine()
    rows = engine.query(norm_q, visibility, limit, offset)
    total = rows[0].total if rows else (engine.count(norm_q, visibility) if offset else 0)
    originals = engine.originals((r.entry_id, r.snippet_seq) for r in rows)
    hits = [
        SearchHit(
            kind=r.kind,
            id=r.object_id,
            title=r.title,
            snippet=T.snippet(originals.get((r.entry_id, r.snippet_seq), ""), norm_q),
            rank=100 * int(r.in_title) + min(r.occurrences, 99),
            in_title=r.in_title,
        )
        for r in rows
    ]
    return SearchPage(query=norm_q, total=total, hits=hits)


def visibility_sql(visible: Mapping[str, Visible]) -> tuple[str, list[Any]]:
    """A condition on index entries ``e`` (and its parameters) from per-kind visibility."""
    parts: list[str] = []
    params: list[Any] = []
    for kind, rule in sorted(visible.items()):
        ors: list[str] = []
        if rule.everything:
            ors.append("1 = 1")
        if rule.ids is not None:
            sub_sql, sub_params = _ids_subquery(rule.ids)
            ors.append(f"e.object_id IN ({sub_sql})")
            params_kind = list(sub_params)
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


def _ids_subquery(qs: QuerySet[Any]) -> tuple[str, Sequence[Any]]:
    # The selector's own SQL as a subquery: visibility is decided by the database in the same
    # statement, so a page and its total never count an entry the caller may not see.
    query = qs.order_by().values_list("pk", flat=True).query
    sql, params = query.get_compiler(connection=connection).as_sql()
    return sql, params
