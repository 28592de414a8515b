"""Search: normalise the query, ask the engine, keep what the caller may see, make snippets."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from audit.exceptions import ValidationFailed
from documents.search import text as T
from documents.search.backend import get_engine
from documents.search.engine import ALL, CONFIDENTIAL, Row, Visible, visibility_sql

MAX_LIMIT = 100


class QueryRefused(ValidationFailed):
    """The query cannot be searched: shorter than 2 or longer than 100 characters (400)."""


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

    Kinds absent from ``visible`` are never returned. Order: title hits (rank 2) before text
    hits (rank 1), each newest first. Raises QueryRefused for a bad query.
    """
    norm_q = prepare_query(q)
    limit = max(1, min(limit, MAX_LIMIT))
    offset = max(0, offset)
    engine = get_engine()
    rows, total = engine.query(norm_q, visible, limit, offset)
    originals = engine.originals((r.entry_id, r.snippet_seq) for r in rows if r.text is None)
    hits = [
        _hit(r, norm_q, *(r.text or originals.get((r.entry_id, r.snippet_seq), ("", ""))))
        for r in rows
    ]
    return SearchPage(query=norm_q, total=total, hits=hits)


def _hit(r: Row, norm_q: str, orig: str, norm: str) -> SearchHit:
    return SearchHit(
        kind=r.kind,
        id=r.object_id,
        title=r.title,
        snippet=T.snippet(orig, norm_q, norm),
        rank=2 if r.in_title else 1,
        in_title=r.in_title,
    )


__all__ = ["ALL", "CONFIDENTIAL", "Visible", "search", "visibility_sql"]
