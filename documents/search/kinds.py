"""What is indexed: one ``SearchKind`` per kind of object, with its visibility and its walk.

The kinds read their objects only through their app's selectors. ``proposal`` reads
``workflow.selectors`` lazily: documents sits below workflow in the dependency graph, so the
import is deferred to call time, as in ``documents.hooks``; workflow may register its own kind
instead with ``register_kind`` from its ``AppConfig.ready()``.
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


# --- proposals --------------------------------------------------------------------------------


def _proposals_visible(user: Any) -> Visible:
    from workflow import selectors

    if can_view_audit_log(user):
        return ALL
    return Visible(ids=selectors.proposal_list_visible(user=user))


def _proposals_walk() -> Iterator[IndexEntry]:
    from workflow.proposals_models import Proposal

    for proposal in Proposal.objects.order_by("pk").iterator(chunk_size=WALK_BATCH):
        yield proposal_entry(proposal)


def proposal_entry(proposal: Any) -> IndexEntry:
    """What the index keeps of a proposal (for workflow's services to pass to index_upsert)."""
    return IndexEntry(
        kind="proposal",
        object_id=proposal.pk,
        title=proposal.title,
        text=proposal.body,
        owner_unit_id=proposal.drafting_unit_id,
        # Proposals have no classification of their own; their visibility is the selector's.
        classification="internal",
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
register_kind(
    SearchKind(
        name="proposal",
        label=_("Proposal"),
        visible_for=_proposals_visible,
        walk=_proposals_walk,
        url_for=lambda pk: _reverse("workflow:proposal", pk),
    )
)
