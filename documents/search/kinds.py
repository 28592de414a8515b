"""What is indexed: one ``SearchKind`` per kind of object, with its visibility and its walk.

The kinds read their objects only through their app's selectors. Documents registers its own
kind here; apps above it (workflow's proposals, chat, council) register theirs with
``register_kind`` from their ``AppConfig.ready()``: documents never imports them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from audit.permissions import can_view_audit_log
from documents.search.engine import IndexEntry
from documents.search.query import ALL, Visible

WALK_BATCH = 500


@dataclass(frozen=True)
class SearchKind:
    name: str
    label: str | Promise
    visible_for: Callable[[Any], Visible]
    walk: Callable[[], Iterator[IndexEntry]]
    url_for: Callable[[int], str | None]


_KINDS: dict[str, SearchKind] = {}


def register_kind(kind: SearchKind) -> None:
    _KINDS[kind.name] = kind


def kinds() -> dict[str, SearchKind]:
    return dict(_KINDS)


def visibility_for_user(user: Any) -> dict[str, Visible]:
    """Per kind, what ``user`` may see (an anonymous user sees nothing)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return {}
    return {name: kind.visible_for(user) for name, kind in _KINDS.items()}


def _reverse(name: str, object_id: int) -> str | None:
    try:
        return reverse(name, args=[object_id])
    except NoReverseMatch:
        return None


# --- documents --------------------------------------------------------------------------------


def _documents_visible(user: Any) -> Visible:
    if can_view_audit_log(user):
        return ALL
    try:
        from documents import selectors
    except ImportError:  # the records models are not installed yet: nothing is visible
        return Visible()
    return Visible(ids=selectors.document_list_visible(user=user))


def _documents_walk() -> Iterator[IndexEntry]:
    # Every live document, not a user's view of them: the index holds all, searches filter.
    from documents import selectors
    from documents.models import Document

    documents = Document.objects.filter(disposed_at__isnull=True).order_by("pk")
    for document in documents.iterator(chunk_size=WALK_BATCH):
        yield IndexEntry(
            kind="document",
            object_id=document.pk,
            title=document.title,
            text=selectors.document_text(document.pk),
            owner_unit_id=document.unit_id,
            classification=document.classification,
        )


register_kind(
    SearchKind(
        name="document",
        label=_("Document"),
        visible_for=_documents_visible,
        walk=_documents_walk,
        url_for=lambda pk: _reverse("documents:detail", pk),
    )
)
