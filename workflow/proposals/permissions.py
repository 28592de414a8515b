"""Who may do what with a proposal. Pure predicates: callers pass what they already loaded.

``principals`` is the set of person ids the actor may act for right now (代決), from
``directory.selectors.principals_for_deputy``.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from workflow.proposals.models import Proposal, ProposalStep

EDITABLE = (Proposal.Status.DRAFT, Proposal.Status.RETURNED)
OPEN = (Proposal.Status.DRAFT, Proposal.Status.RETURNED, Proposal.Status.IN_REVIEW)


def is_drafter(person: Any, proposal: Proposal) -> bool:
    return person is not None and proposal.drafter_id == person.pk


def can_edit_proposal(person: Any, proposal: Proposal) -> bool:
    """The drafter, while the proposal is a draft or has been sent back."""
    return is_drafter(person, proposal) and proposal.status in EDITABLE


def acting_for_on_step(
    person: Any, step: ProposalStep, *, principals: Collection[int], drafter_id: int
) -> tuple[bool, int | None]:
    """(may act, principal id when acting as deputy) for ``person`` on ``step``.

    The approver acts in their own name; a deputy with an active delegation from the approver
    acts for them (not on a 供覧 step). A drafter never acts on their own proposal, not even
    as someone's deputy.
    """
    if person is None or person.pk == drafter_id:
        return False, None
    if step.approver_id == person.pk:
        return True, None
    # A 供覧 asks the recipient themselves to have seen it: nobody confirms it for them.
    if step.approver_id in principals and step.kind != ProposalStep.Kind.CIRCULATE:
        return True, step.approver_id
    return False, None


def can_reject_step(step: ProposalStep) -> bool:
    """Only the final approver (決裁者) rejects (否決)."""
    return step.kind == ProposalStep.Kind.DECIDE
