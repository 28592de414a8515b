"""Reads of the disposal screens."""

from __future__ import annotations

from workflow.disposal.models import DisposalProposalBinder
from workflow.proposals.models import Proposal


def disposal_binder_ids_pending(binder_ids: list[int]) -> set[int]:
    """Which of these binders are on a disposal proposal still open (draft, in review,
    returned) or approved and not carried out yet (``disposal_propose`` refuses them: 409)."""
    links = DisposalProposalBinder.objects.filter(binder_id__in=binder_ids)
    open_statuses = (Proposal.Status.DRAFT, Proposal.Status.IN_REVIEW, Proposal.Status.RETURNED)
    pending = links.filter(proposal__status__in=open_statuses) | links.filter(
        proposal__status=Proposal.Status.APPROVED,
        outcome=DisposalProposalBinder.Outcome.PROPOSED,
    )
    return set(pending.values_list("binder_id", flat=True))
