"""Approval events: typed payloads that other modules subscribe to.

``approval_event`` is sent after the transaction that caused the event has committed
(``publish`` defers it with ``transaction.on_commit``): a rolled-back action announces nothing.
Receivers get the payload as ``event``::

    from workflow.engine.events import ProposalDecided, approval_event

    @receiver(approval_event)
    def on_approval_event(sender, event, **kwargs):
        if isinstance(event, ProposalDecided): ...

``sender`` is the payload's class. Payloads carry ids and the few values a notification needs
(not model instances): a receiver that needs more reads it through the workflow selectors.
The notifications themselves are one subscriber (``workflow/notifications/announce.py``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.dispatch import Signal

logger = logging.getLogger(__name__)

__all__ = [
    "ActionPlanApproved",
    "ActionPlanEvent",
    "ActionPlanSentBack",
    "ActionPlanTaskCreated",
    "ApprovalEvent",
    "ProposalActedFor",
    "ProposalDecided",
    "ProposalSentBack",
    "ProposalStopped",
    "ProposalTaskCreated",
    "approval_event",
    "publish",
]

# Sent with ``event`` (an ``ApprovalEvent`` or ``ActionPlanEvent``); sender is ``type(event)``.
approval_event = Signal()


@dataclass(frozen=True, kw_only=True)
class ApprovalEvent:
    """What every approval event says: which proposal, in which round, and its title."""

    proposal_id: int
    round: int
    title: str


@dataclass(frozen=True, kw_only=True)
class ProposalTaskCreated(ApprovalEvent):
    """A step was reached: its approver has a new task (``kind``: approve, consult, decide,
    circulate). ``deputy_ids``: people with an active delegation from the approver."""

    step_id: int
    task_id: int
    kind: str
    approver_id: int
    drafter_id: int
    deputy_ids: tuple[int, ...] = ()


@dataclass(frozen=True, kw_only=True)
class ProposalSentBack(ApprovalEvent):
    """差戻し: the proposal went back to its drafter with the approver's comment."""

    step_id: int | None
    drafter_id: int
    actor_id: int
    acting_for_id: int | None
    comment: str


@dataclass(frozen=True, kw_only=True)
class ProposalDecided(ApprovalEvent):
    """決裁: ``outcome`` is ``approved`` (with its document number) or ``rejected`` (否決)."""

    APPROVED = "approved"
    REJECTED = "rejected"

    step_id: int | None
    drafter_id: int
    actor_id: int
    acting_for_id: int | None
    outcome: str
    document_number: str
    comment: str


@dataclass(frozen=True, kw_only=True)
class ProposalStopped(ApprovalEvent):
    """The drafter withdrew (引戻し, ``action`` ``withdrawn``) or cancelled (取下げ,
    ``cancelled``) the proposal; ``recipient_ids``: the approvers the round had reached (who
    acted, or whose task has just vanished)."""

    WITHDRAWN = "withdrawn"
    CANCELLED = "cancelled"

    drafter_id: int
    action: str
    recipient_ids: tuple[int, ...]


@dataclass(frozen=True, kw_only=True)
class ProposalActedFor(ApprovalEvent):
    """代決: a deputy acted on the principal's step; the principal reviews it afterwards
    (後閲)."""

    step_id: int
    principal_id: int
    deputy_id: int
    kind: str
    state: str


@dataclass(frozen=True, kw_only=True)
class ActionPlanEvent:
    """What every DX action-plan event says: which plan, in which round, and its title."""

    plan_id: int
    round: int
    title: str
    drafter_id: int


@dataclass(frozen=True, kw_only=True)
class ActionPlanTaskCreated(ActionPlanEvent):
    """A DX plan waits for a body: ``stage`` ``secretariat`` (事務局 review) or ``committee``
    (委員会 approval); ``member_ids``: the body's members (any of them may act)."""

    stage: str
    member_ids: tuple[int, ...]


@dataclass(frozen=True, kw_only=True)
class ActionPlanSentBack(ActionPlanEvent):
    """The 事務局 sent the plan back to its drafter."""

    actor_id: int
    comment: str


@dataclass(frozen=True, kw_only=True)
class ActionPlanApproved(ActionPlanEvent):
    """The 委員会 approved the plan; its drafter reports the results by ``report_due_on``."""

    actor_id: int
    comment: str
    report_due_on: date | None


def publish(event: ApprovalEvent | ActionPlanEvent) -> None:
    """Send ``event`` on ``approval_event`` once the current transaction commits (at once
    outside one). A failing receiver is logged; it neither stops the others nor the caller."""
    transaction.on_commit(lambda: send_now(event))


def send_now(event: ApprovalEvent | ActionPlanEvent) -> None:
    """Send ``event`` to every receiver now; for callers already past the commit."""
    for receiver, result in approval_event.send_robust(sender=type(event), event=event):
        if isinstance(result, Exception):
            logger.error(
                "approval_event receiver %r failed on %r",
                receiver,
                event,
                exc_info=(type(result), result, result.__traceback__),
            )
