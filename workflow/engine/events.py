"""Approval events: typed payloads that the services publish and other modules subscribe to.

A service publishes one event per change it makes (``publish(ProposalDecided(...))``), inside
its transaction; the event is delivered on ``approval_event`` only once that transaction has
committed: a rolled-back action announces nothing. Delivery is a django-task
(``deliver_event``) queued with ``audit.transactions.enqueue_with_change``: in-process right
after the commit in the embedded default; with ``KAIRAN_TASK_WORKERS=external`` the job row is
written in the action's own transaction (a transactional outbox), so a process killed between
the commit and the delivery loses nothing. Receivers get the payload as ``event``::

    from workflow.engine.events import ProposalDecided, approval_event

    @receiver(approval_event)
    def on_approval_event(sender, event, **kwargs):
        if isinstance(event, ProposalDecided): ...

``sender`` is the payload's class. Payloads carry ids and the few values a notification needs
(not model instances, and JSON-safe: the outbox stores them): a receiver that needs more reads
it through the workflow selectors. Subscribers: the notifications
(``workflow/notifications/subscriber.py``), disposal (``workflow/disposal/services.py``) and
chat's approval cards.
"""

from __future__ import annotations

import dataclasses
import logging
import typing
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import Any

from django.dispatch import Signal
from django_tasks import task

from audit.transactions import enqueue_with_change
from directory.selectors import deputy_ids_for

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
    "deliver_event",
    "publish",
    "send_now",
    "task_subject",
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
    circulate). ``deputies_may_act``: whether the approver's deputies may act on it (not on a
    供覧, which only its recipient confirms)."""

    step_id: int
    task_id: int
    kind: str
    approver_id: int
    drafter_id: int
    deputies_may_act: bool = True

    @cached_property
    def deputy_ids(self) -> tuple[int, ...]:
        """The people with an active delegation from the approver, asked when the event is
        delivered (once per delivery, whatever the number of receivers): off the request with
        external task workers, instead of in every approval's transaction."""
        if not self.deputies_may_act:
            return ()
        return tuple(deputy_ids_for(self.approver_id))


def task_subject(step_id: int) -> str:
    """What the notification of a step's task is about (its ``subject_key``): when the step
    ends, for any reason, the services resolve the notifications of that subject."""
    return f"workflow.step:{step_id}"


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
    """Deliver ``event`` once the current transaction commits (see the module's docstring)."""
    enqueue_with_change(deliver_event, type(event).__name__, _to_json(event))


@task()
def deliver_event(kind: str, payload: dict[str, Any]) -> None:
    """The outbox job of ``publish``: rebuild the event and send it to every receiver."""
    send_now(_from_json(_EVENT_TYPES[kind], payload))


def send_now(event: ApprovalEvent | ActionPlanEvent) -> None:
    """Send ``event`` to every receiver now. A failing receiver is logged; it neither stops the
    others nor the caller."""
    for receiver, result in approval_event.send_robust(sender=type(event), event=event):
        if isinstance(result, Exception):
            logger.error(
                "approval_event receiver %r failed on %r",
                receiver,
                event,
                exc_info=(type(result), result, result.__traceback__),
            )


_EVENT_TYPES: dict[str, type] = {
    cls.__name__: cls
    for cls in (
        ProposalTaskCreated,
        ProposalSentBack,
        ProposalDecided,
        ProposalStopped,
        ProposalActedFor,
        ActionPlanTaskCreated,
        ActionPlanSentBack,
        ActionPlanApproved,
    )
}


def _to_json(event: Any) -> dict[str, Any]:
    payload = dataclasses.asdict(event)
    for name, value in payload.items():
        if isinstance(value, date):
            payload[name] = value.isoformat()
        elif isinstance(value, tuple):
            payload[name] = list(value)
    return payload


def _from_json(cls: type, payload: dict[str, Any]) -> Any:
    hints = typing.get_type_hints(cls)
    values = {}
    for field in dataclasses.fields(cls):
        if field.name not in payload:
            continue
        value, hint = payload[field.name], str(hints[field.name])
        if isinstance(value, list):
            value = tuple(value)
        elif isinstance(value, str) and "datetime.date" in hint:
            value = date.fromisoformat(value)
        values[field.name] = value
    return cls(**values)
