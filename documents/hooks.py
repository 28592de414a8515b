"""Points where the approval workflow plugs into records, without documents importing it.

The dependency arrow runs workflow → documents, so the workflow app registers these in its
``AppConfig.ready()`` once it can answer; until then the defaults below apply.

- ``route_document_ids(person)``: ids of confidential documents a person may see because they
  are on the route of a related proposal. Default: none.
- ``approved_disposal(reference)``: the approval behind a disposal reference, or None.
  Default: None, so disposal is refused until the disposal process (category ``disposal``)
  exists and registers a resolver that returns an ``ApprovedDisposal`` for approved ones.
- ``decided_proposal(user, proposal_id)``: a decided proposal's number and title, or None
  when it is not decided or not visible to ``user``. Default (no workflow app): the id is
  accepted as it is. Documents never imports workflow: workflow registers all three.
- ``owned_documents(user)``: documents whose visibility an app above documents decides (chat:
  a message's attachment is seen by the members of its room, not by the uploader's 課). Each
  app registers one resolver under its name with ``register_owner`` (chat does, in its
  ``ready()``); like search kinds they stay registered through ``reset()``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class ApprovedDisposal:
    """An approved disposal (廃棄) decision: the binders it covers and who approved it."""

    reference: str
    binder_ids: frozenset[int]
    approved_by: list[str] = field(default_factory=list)
    approved_at: datetime | None = None


@dataclass(frozen=True)
class DecidedProposal:
    id: int
    document_number: str
    title: str


RouteResolver = Callable[[Any], set[int]]
DisposalResolver = Callable[[str], ApprovedDisposal | None]
ProposalResolver = Callable[[Any, int], DecidedProposal | None]


@dataclass(frozen=True)
class OwnedDocuments:
    """What an owning app answers for one user: ``owned`` are the ids of every document whose
    visibility it decides, ``visible`` those of them the user may see (each a set of ids or a
    queryset of one id column, used as a subquery). Auditors see everything regardless."""

    owned: Any
    visible: Any


OwnerResolver = Callable[[Any], OwnedDocuments]


def _no_route_documents(person: Any) -> set[int]:
    return set()


def _no_disposal_approval(reference: str) -> ApprovedDisposal | None:
    return None


def _proposal_as_given(user: Any, proposal_id: int) -> DecidedProposal | None:
    """Without the workflow app the id is stored as it is."""
    return DecidedProposal(id=proposal_id, document_number="", title="")


route_document_ids: RouteResolver = _no_route_documents
approved_disposal: DisposalResolver = _no_disposal_approval
decided_proposal: ProposalResolver = _proposal_as_given


_owners: dict[str, OwnerResolver] = {}


def register_owner(name: str, resolver: OwnerResolver) -> None:
    """An app decides who sees the documents it owns (registering a name again replaces it)."""
    _owners[name] = resolver


def unregister_owner(name: str) -> None:
    """Tests: forget an owner's resolver."""
    _owners.pop(name, None)


def owned_documents(user: Any) -> list[OwnedDocuments]:
    """Every registered owner's answer for ``user`` (a signed-in, active user)."""
    return [resolver(user) for resolver in _owners.values()]


def register(
    *,
    route: RouteResolver | None = None,
    disposal: DisposalResolver | None = None,
    proposal: ProposalResolver | None = None,
) -> None:
    """Install resolvers (called by the workflow app's ``ready()``, or by tests)."""
    global route_document_ids, approved_disposal, decided_proposal
    if route is not None:
        route_document_ids = route
    if disposal is not None:
        approved_disposal = disposal
    if proposal is not None:
        decided_proposal = proposal


def reset() -> None:
    """Back to the defaults (tests)."""
    global route_document_ids, approved_disposal, decided_proposal
    route_document_ids = _no_route_documents
    approved_disposal = _no_disposal_approval
    decided_proposal = _proposal_as_given
