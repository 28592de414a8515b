"""Index maintenance: the hooks other apps' services call after a write, and reindexing."""

from __future__ import annotations

from collections.abc import Iterable
from itertools import islice

from documents.search.backend import get_engine
from documents.search.engine import IndexEntry

BULK_BATCH = 1000


def index_upsert(
    *,
    kind: str,
    object_id: int,
    title: str,
    text: str,
    owner_unit_id: int | None,
    classification: str,
) -> None:
    """Index (or re-index) one object; its previous entry is replaced in the same transaction.

    Call it from the service that changed the object, inside its transaction, so the index
    never shows a state that was rolled back.
    """
    get_engine().upsert(
        IndexEntry(
            kind=kind,
            object_id=object_id,
            title=title,
            text=text,
            owner_unit_id=owner_unit_id,
            classification=classification,
        )
    )


def index_delete(*, kind: str, object_id: int) -> bool:
    """Remove one object from the index; False when it was not indexed."""
    return get_engine().delete(kind, object_id)


def index_replace_all(entries: Iterable[IndexEntry], *, kind: str | None = None) -> int:
    """Empty the index (or one kind) and load ``entries`` in batches; returns how many.

    Runs in the caller's transaction when there is one (``search_reindex`` wraps it in one, so
    searches see the old index until the new one is complete).
    """
    engine = get_engine()
    engine.clear(kind)
    count = 0
    iterator = iter(entries)
    while batch := list(islice(iterator, BULK_BATCH)):
        engine.bulk_insert(batch)
        count += len(batch)
    return count
