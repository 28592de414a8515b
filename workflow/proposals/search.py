"""Proposals in the records' search (documents.search): the ``proposal`` kind, registered from
``WorkflowConfig.ready()`` so that documents never imports workflow."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from audit.permissions import can_view_audit_log
from documents.search.engine import IndexEntry
from documents.search.kinds import WALK_BATCH, SearchKind, register_kind
from documents.search.query import ALL, Visible
from workflow.proposals import selectors
from workflow.proposals.models import Proposal


def proposal_entry(proposal: Any) -> IndexEntry:
    """What the index keeps of a proposal (the services pass it to ``index_upsert``)."""
    return IndexEntry(
        kind="proposal",
        object_id=proposal.pk,
        title=proposal.title,
        text=proposal.body,
        owner_unit_id=proposal.drafting_unit_id,
        # Proposals have no classification of their own; their visibility is the selector's.
        classification="internal",
    )


def _visible(user: Any) -> Visible:
    if can_view_audit_log(user):
        return ALL
    return Visible(ids=selectors.proposal_list_visible(user=user))


def _walk() -> Iterator[IndexEntry]:
    for proposal in Proposal.objects.order_by("pk").iterator(chunk_size=WALK_BATCH):
        yield proposal_entry(proposal)


def _url(pk: int) -> str | None:
    try:
        return reverse("workflow:proposal", args=[pk])
    except NoReverseMatch:
        return None


def register() -> None:
    register_kind(
        SearchKind(
            name="proposal", label=_("Proposal"), visible_for=_visible, walk=_walk, url_for=_url
        )
    )
