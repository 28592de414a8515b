"""Filing a decided proposal (簿冊への編てつ): the paperless end of the 起案.

A proposal carries the binder of its drafting 課 it belongs in and its 保存年限 (from its 起案
template, or chosen by the drafter). When it is decided (``ProposalDecided``, approved), this
subscriber files it through the records' services, in a transaction of its own, as its drafter:
into that 課's binder of the proposal's fiscal year with that title, created first with that
retention when missing. A proposal without a binder is left to be filed by hand (the binder
page). A refusal (the drafter has left the 課, the binder is closed …) is logged and leaves it
unfiled; it never touches the decision.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction

from audit.exceptions import KairanError
from documents import services as documents_services
from documents.models import Binder, FiledProposal
from workflow.engine.events import ProposalDecided, approval_event
from workflow.proposals.models import Proposal

logger = logging.getLogger(__name__)

# A binder created for a proposal that names no retention keeps it 10 years (the longest of the
# ordinary periods: shortening later is possible, a destroyed record is not).
DEFAULT_RETENTION = 10


def connect() -> None:
    """Subscribe to the approval events (``WorkflowConfig.ready``)."""
    approval_event.connect(on_approval_event, dispatch_uid="workflow.proposals.filing")


def on_approval_event(sender: Any, event: Any, **kwargs: Any) -> None:
    if isinstance(event, ProposalDecided) and event.outcome == ProposalDecided.APPROVED:
        proposal_file_decided(proposal_id=event.proposal_id)


def proposal_file_decided(*, proposal_id: int) -> FiledProposal | None:
    """File the decided proposal into its binder; None when it names none, or on a refusal."""
    proposal = (
        Proposal.objects.select_related("drafter__user", "drafting_unit")
        .filter(pk=proposal_id, status=Proposal.Status.APPROVED)
        .first()
    )
    if proposal is None or not proposal.binder_title or proposal.fiscal_year is None:
        return None
    if FiledProposal.objects.filter(proposal_id=proposal.pk).exists():
        return None  # filed already (a redelivered event)
    actor, unit = proposal.drafter.user, proposal.drafting_unit
    try:
        with transaction.atomic():  # the binder is created only if the proposal is filed
            binder = Binder.objects.filter(
                unit=unit, fiscal_year=proposal.fiscal_year, title=proposal.binder_title
            ).first()
            if binder is None:
                binder = documents_services.binder_create(
                    actor=actor,
                    unit=unit,
                    fiscal_year=proposal.fiscal_year,
                    title=proposal.binder_title,
                    retention_years=DEFAULT_RETENTION
                    if proposal.retention_years is None
                    else proposal.retention_years,
                )
            return documents_services.proposal_file(
                actor=actor, binder=binder, proposal_id=proposal.pk
            )
    except KairanError as exc:
        logger.warning(
            "proposal %s was not filed into %r: %s", proposal.pk, proposal.binder_title, exc
        )
        return None
