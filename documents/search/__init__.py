"""Japanese full-text search over records and proposals (see docs/search.md).

Public API: ``index_upsert`` / ``index_delete`` (called by the services that change an indexed
object), ``search`` (with explicit per-kind visibility) and ``search_for_user``.
"""

from __future__ import annotations

from typing import Any

from documents.search.engine import IndexEntry
from documents.search.index import index_delete, index_replace_all, index_upsert
from documents.search.query import ALL, QueryRefused, SearchHit, SearchPage, Visible, search

__all__ = [
    "ALL",
    "IndexEntry",
    "QueryRefused",
    "SearchHit",
    "SearchPage",
    "Visible",
    "index_delete",
    "index_replace_all",
    "index_upsert",
    "search",
    "search_for_user",
]


def search_for_user(*, user: Any, q: str, limit: int = 50, offset: int = 0) -> SearchPage:
    """``search`` with the visibility of every registered kind for ``user``."""
    from documents.search.kinds import visibility_for_user

    return search(q=q, visible=visibility_for_user(user), limit=limit, offset=offset)
