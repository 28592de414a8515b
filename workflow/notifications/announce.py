"""Approval notifications, without a line in the services: the events are derived from the
records the services and the flow already write, and one subscriber turns them into in-app
notifications and e-mails.

- a new viewflow review task (``ProposalFlow.review_one`` or ``review``, created when a step
  is reached)
  → ``ProposalTaskCreated`` (the step's approver, and their active deputies);
- a ``Decision`` row ``sent_back`` → ``ProposalSentBack`` (the drafter, with the comment);
- a ``Decision`` row ``decided`` / ``rejected`` (or ``approved_ahead`` on the decide step,
  or the last ``seen`` of a circulation) → ``ProposalDecided`` (the drafter, with the number).

The model signals only queue work as a django-task (``workflow/notifications/tasks.py``): in-process
right
after the commit by default; with ``KAIRAN_TASK_WORKERS=external`` the job row is written in the
action's own transaction (``audit.transactions.enqueue_with_change``, a transactional outbox),
so a process killed between the commit and the enqueue loses nothing. The event is built from
the committed rows when the job runs (the document number is written after the ``decided`` row),
so a rolled-back action announces nothing and the approval itself does no extra query.
Connected in ``WorkflowConfig.ready()``.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.db.models.signals import post_save
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.translation import gettext as _
from viewflow.workflow.models import Task

from audit.transactions import enqueue_with_change
from directory.models import Assignment, OrgUnit, Person
from directory.notifications import (
    notification_create,
    notification_email,
    notifications_resolve,
)
from directory.selectors import deputies_for
from workflow.dx.models import DXDecision
from workflow.engine.events import (
    ActionPlanApproved,
    ActionPlanEvent,
    ActionPlanSentBack,
    ActionPlanTaskCreated,
    ApprovalEvent,
    ProposalActedFor,
    ProposalDecided,
    ProposalSentBack,
    ProposalStopped,
    ProposalTaskCreated,
    approval_event,
    send_now,
)
from workflow.models import Decision, Proposal, ProposalStep
from workflow.notifications import tasks

logger = logging.getLogger(__name__)

_DECIDING_ACTIONS = {"decided", "rejected", "approved_ahead", "seen"}
_ANNOUNCED_ACTIONS = _DECIDING_ACTIONS | {"sent_back"}


def connect() -> None:
    """Connect the model signals and the notifying subscriber (``WorkflowConfig.ready``)."""
    post_save.connect(task_saved, sender=Task, dispatch_uid="workflow.notifications.announce.task")
    post_save.connect(
        decision_saved, sender=Decision, dispatch_uid="workflow.notifications.announce.decision"
    )
    post_save.connect(
        dx_decision_saved,
        sender=DXDecision,
        dispatch_uid="workflow.notifications.announce.dx_decision",
    )
    approval_event.connect(notify, dispatch_uid="workflow.notifications.announce.notify")


# --- model signals → events ---------------------------------------------------------------------


def task_saved(sender: Any, instance: Task, created: bool, **kwargs: Any) -> None:
    """A new review task of ``ProposalFlow`` (one per reached step) is announced once."""
    if not created or kwargs.get("raw"):
        return
    data = instance.data or {}
    if "step" not in data or not _is_proposal_review(instance):
        return
    task_id, step_id = instance.pk, data["step"]
    enqueue_with_change(tasks.announce_task, task_id, step_id)


def decision_saved(sender: Any, instance: Decision, created: bool, **kwargs: Any) -> None:
    if not created or kwargs.get("raw") or instance.action not in _ANNOUNCED_ACTIONS:
        return
    decision_id = instance.pk
    enqueue_with_change(tasks.announce_decision, decision_id)


def _is_proposal_review(task: Task) -> bool:
    from workflow.flows import ProposalFlow

    try:
        return task.flow_task in (ProposalFlow.review, ProposalFlow.review_one)
    except Exception:  # an unknown node of some other flow
        return False


def _announce_task(task_id: int, step_id: int) -> None:
    step = (
        ProposalStep.objects.select_related("proposal", "approver")
        .filter(pk=step_id, task_id=task_id)
        .first()
    )
    # Already closed (e.g. the round was stopped in the same transaction): nothing to do.
    if step is None or step.state != ProposalStep.State.PENDING:
        return
    proposal = step.proposal
    send_now(
        ProposalTaskCreated(
            proposal_id=proposal.pk,
            round=step.round,
            title=proposal.title,
            step_id=step.pk,
            task_id=task_id,
            kind=step.kind,
            approver_id=step.approver_id,
            drafter_id=proposal.drafter_id,
            # Deputies may act on the principal's steps, but a 供覧 is confirmed only by its
            # recipient.
            deputy_ids=()
            if step.kind == ProposalStep.Kind.CIRCULATE
            else tuple(d.pk for d in deputies_for(step.approver)),
        )
    )


def _announce_decision(decision_id: int) -> None:
    decision = Decision.objects.select_related("proposal", "step").get(pk=decision_id)
    proposal = decision.proposal
    common = {
        "proposal_id": proposal.pk,
        "round": decision.round,
        "title": proposal.title,
        "step_id": decision.step_id,
        "drafter_id": proposal.drafter_id,
        "actor_id": decision.actor_id,
        "acting_for_id": decision.acting_for_id,
        "comment": decision.comment,
    }
    if decision.action == "sent_back":
        send_now(ProposalSentBack(**common))
        return
    outcome = {
        Proposal.Status.APPROVED: ProposalDecided.APPROVED,
        Proposal.Status.REJECTED: ProposalDecided.REJECTED,
    }.get(proposal.status)
    if outcome is None or decision.action not in _DECIDING_ACTIONS:
        return
    if decision.action in ("approved_ahead", "seen") and not _is_last_act(decision):
        return  # an earlier step approved ahead, or one recipient of a circulation of many
    send_now(ProposalDecided(**common, outcome=outcome, document_number=proposal.document_number))


def _is_last_act(decision: Decision) -> bool:
    """Whether this row is the one that closed the proposal (the newest of its round)."""
    latest = (
        Decision.objects.filter(proposal_id=decision.proposal_id)
        .order_by("-at", "-id")
        .values_list("pk", flat=True)
        .first()
    )
    step = decision.step
    if decision.action == "approved_ahead":
        return step is not None and step.kind == ProposalStep.Kind.DECIDE and latest == decision.pk
    return latest == decision.pk


def _announce_stopped(proposal_id: int, round_: int, action: str) -> None:
    proposal = Proposal.objects.filter(pk=proposal_id).first()
    if proposal is None:
        return
    reached = ProposalStep.objects.filter(
        proposal=proposal, round=round_, activated_at__isnull=False
    )
    recipients = set(reached.values_list("approver_id", flat=True))
    recipients |= {pk for pk in reached.values_list("acted_by_id", flat=True) if pk}
    recipients.discard(proposal.drafter_id)
    send_now(
        ProposalStopped(
            proposal_id=proposal.pk,
            round=round_,
            title=proposal.title,
            drafter_id=proposal.drafter_id,
            action=action,
            recipient_ids=tuple(sorted(recipients)),
        )
    )


def _announce_acted_for(step_id: int) -> None:
    step = ProposalStep.objects.select_related("proposal").filter(pk=step_id).first()
    if step is None or not step.acting_for_id or not step.acted_by_id:
        return
    send_now(
        ProposalActedFor(
            proposal_id=step.proposal_id,
            round=step.round,
            title=step.proposal.title,
            step_id=step.pk,
            principal_id=step.acting_for_id,
            deputy_id=step.acted_by_id,
            kind=step.kind,
            state=step.state,
        )
    )


# --- DX action plans: DXDecision rows → events ------------------------------------------------

_DX_ANNOUNCED_ACTIONS = {"submitted", "reviewed", "sent_back", "approved"}


def dx_decision_saved(sender: Any, instance: DXDecision, created: bool, **kwargs: Any) -> None:
    """A submission or a pass gives a body a task; a send-back or an approval goes to the
    drafter."""
    if not created or kwargs.get("raw") or instance.action not in _DX_ANNOUNCED_ACTIONS:
        return
    decision_id = instance.pk
    enqueue_with_change(tasks.announce_dx_decision, decision_id)


def _announce_dx_decision(decision_id: int) -> None:
    decision = DXDecision.objects.select_related("plan").get(pk=decision_id)
    plan = decision.plan
    common = {
        "plan_id": plan.pk,
        "round": decision.round,
        "title": plan.title,
        "drafter_id": plan.drafter_id,
    }
    if decision.action == "submitted" and plan.secretariat_unit_id:
        members = _unit_member_ids(plan.secretariat_unit_id)
        stage = "secretariat"
    elif decision.action == "reviewed" and plan.committee_group_id:
        members = set(
            Person.objects.filter(user__groups=plan.committee_group_id, is_active=True).values_list(
                "pk", flat=True
            )
        )
        stage = "committee"
    elif decision.action == "sent_back":
        send_now(ActionPlanSentBack(**common, actor_id=decision.actor_id, comment=decision.comment))
        return
    elif decision.action == "approved":
        send_now(
            ActionPlanApproved(
                **common,
                actor_id=decision.actor_id,
                comment=decision.comment,
                report_due_on=plan.report_due_on,
            )
        )
        return
    else:
        return
    members.discard(plan.drafter_id)  # the drafter never reviews their own plan
    send_now(ActionPlanTaskCreated(**common, stage=stage, member_ids=tuple(sorted(members))))


def _unit_member_ids(unit_id: int) -> set[int]:
    """Active people posted (兼務 too) to the unit or a unit below it."""
    unit_ids, frontier = {unit_id}, {unit_id}
    while frontier:
        frontier = set(
            OrgUnit.objects.filter(parent_id__in=frontier)
            .exclude(pk__in=unit_ids)
            .values_list("pk", flat=True)
        )
        unit_ids |= frontier
    return set(
        Assignment.objects.filter(unit_id__in=unit_ids, person__is_active=True).values_list(
            "person_id", flat=True
        )
    )


# --- the subscriber: events → in-app notifications and e-mails --------------------------------


def notify(sender: Any, event: ApprovalEvent | ActionPlanEvent, **kwargs: Any) -> None:
    """Notify the people an approval event concerns; in the site's language (Japanese)."""
    with translation.override(settings.LANGUAGE_CODE):
        if isinstance(event, ActionPlanEvent):
            messages, url = _dx_messages(event), _dx_url(event.plan_id)
        else:
            messages = _messages(event)
            url = reverse("workflow:proposal", args=[event.proposal_id])
        recipients = Person.objects.filter(
            pk__in={m[0] for m in messages}, is_active=True
        ).in_bulk()
        subject = task_subject(event.step_id) if isinstance(event, ProposalTaskCreated) else ""
        for recipient_id, kind, title, body in messages:
            recipient = recipients.get(recipient_id)
            if recipient is None:
                continue
            notification_create(
                recipient=recipient,
                kind=kind,
                title=title,
                body=body,
                url=url,
                subject_key=subject,
            )
            notification_email(
                recipient=recipient,
                subject=_("[Kairan] %(title)s") % {"title": title},
                body=_("%(body)s\n\nOpen it in Kairan: %(url)s") % {"body": body, "url": url},
            )


def _messages(event: ApprovalEvent) -> list[tuple[int, str, str, str]]:
    """(recipient id, kind, title, body) for each person to notify."""
    if isinstance(event, ProposalTaskCreated):
        kind_label = str(ProposalStep.Kind(event.kind).label)
        title = _("New task: %(title)s") % {"title": event.title}
        body = _("“%(title)s” is waiting for you (%(kind)s).") % {
            "title": event.title,
            "kind": kind_label,
        }
        messages = [(event.approver_id, "workflow.task_created", title, body)]
        if event.deputy_ids:
            principal = Person.objects.filter(pk=event.approver_id).first()
            deputy_body = _(
                "“%(title)s” is waiting for %(name)s, whom you stand in for (%(kind)s)."
            )
            deputy_body %= {"title": event.title, "name": principal, "kind": kind_label}
            for deputy_id in event.deputy_ids:
                if deputy_id not in (event.approver_id, event.drafter_id):
                    messages.append((deputy_id, "workflow.task_created", title, deputy_body))
        return messages
    if isinstance(event, ProposalSentBack):
        title = _("Sent back: %(title)s") % {"title": event.title}
        body = _("%(name)s sent “%(title)s” back to you.\n\nComment: %(comment)s") % {
            "name": _person_name(event.actor_id, event.acting_for_id),
            "title": event.title,
            "comment": event.comment,
        }
        return [(event.drafter_id, "workflow.sent_back", title, body)]
    if isinstance(event, ProposalDecided):
        name = _person_name(event.actor_id, event.acting_for_id)
        if event.outcome == ProposalDecided.APPROVED and event.document_number:
            title = _("Decided: %(title)s (%(number)s)") % {
                "title": event.title,
                "number": event.document_number,
            }
            body = _("%(name)s decided “%(title)s”. Document number: %(number)s") % {
                "name": name,
                "title": event.title,
                "number": event.document_number,
            }
        elif event.outcome == ProposalDecided.APPROVED:
            title = _("Completed: %(title)s") % {"title": event.title}
            body = _("“%(title)s” has been seen by everyone.") % {"title": event.title}
        else:
            title = _("Rejected: %(title)s") % {"title": event.title}
            body = _("%(name)s rejected “%(title)s”.") % {"name": name, "title": event.title}
        if event.comment:
            body += "\n\n" + _("Comment: %(comment)s") % {"comment": event.comment}
        return [(event.drafter_id, f"workflow.{event.outcome}", title, body)]
    if isinstance(event, ProposalStopped):
        if event.action == ProposalStopped.CANCELLED:
            title = _("Cancelled: %(title)s") % {"title": event.title}
            body = _("The drafter cancelled “%(title)s” (取下げ). Nothing is left to do.")
        else:
            title = _("Withdrawn: %(title)s") % {"title": event.title}
            body = _(
                "The drafter withdrew “%(title)s” (引戻し) to revise it. "
                "It will come back to you if it is submitted again."
            )
        body %= {"title": event.title}
        kind = f"workflow.{event.action}"
        return [(person_id, kind, title, body) for person_id in event.recipient_ids]
    if isinstance(event, ProposalActedFor):
        title = _("Acted for you (代決): %(title)s") % {"title": event.title}
        body = _(
            "%(deputy)s acted for you on “%(title)s” (%(kind)s). "
            "Please review it afterwards (後閲) from your inbox."
        ) % {
            "deputy": _person_name(event.deputy_id, None),
            "title": event.title,
            "kind": str(ProposalStep.Kind(event.kind).label),
        }
        return [(event.principal_id, "workflow.acted_for", title, body)]
    return []


def task_subject(step_id: int) -> str:
    """What a task notification is about: closing it resolves the notification."""
    return f"workflow.step:{step_id}"


def resolve_ended_tasks(proposal: Proposal) -> int:
    """Resolve the task notifications of every step of ``proposal`` that is no longer pending
    (done by its approver or a deputy, skipped, or cancelled with the round): called by the
    services in the action's own transaction."""
    ended = (
        ProposalStep.objects.filter(proposal=proposal)
        .exclude(state=ProposalStep.State.PENDING)
        .values_list("pk", flat=True)
    )
    return notifications_resolve(subject_keys=[task_subject(pk) for pk in ended])


def _dx_url(plan_id: int) -> str:
    # The DX screens are not built yet: the plan's API page until they are.
    try:
        return reverse("workflow:action-plan", args=[plan_id])
    except NoReverseMatch:
        return f"/api/v1/dx/action-plans/{plan_id}/"


def _dx_messages(event: ActionPlanEvent) -> list[tuple[int, str, str, str]]:
    """(recipient id, kind, title, body) for each person to notify of a DX plan event."""
    if isinstance(event, ActionPlanTaskCreated):
        title = _("DX action plan to review: %(title)s") % {"title": event.title}
        if event.stage == "committee":
            body = _("“%(title)s” waits for the DX committee's approval.")
        else:
            body = _("“%(title)s” waits for the DX secretariat's review.")
        body %= {"title": event.title}
        kind = f"dx.{event.stage}_task"
        return [(member_id, kind, title, body) for member_id in event.member_ids]
    if isinstance(event, ActionPlanSentBack):
        title = _("DX action plan sent back: %(title)s") % {"title": event.title}
        body = _("%(name)s sent “%(title)s” back to you.\n\nComment: %(comment)s") % {
            "name": _person_name(event.actor_id, None),
            "title": event.title,
            "comment": event.comment,
        }
        return [(event.drafter_id, "dx.sent_back", title, body)]
    if isinstance(event, ActionPlanApproved):
        title = _("DX action plan approved: %(title)s") % {"title": event.title}
        body = _("The DX committee approved “%(title)s”. Report the results by %(due)s.") % {
            "title": event.title,
            "due": event.report_due_on.isoformat() if event.report_due_on else "—",
        }
        return [(event.drafter_id, "dx.approved", title, body)]
    return []


def _person_name(actor_id: int, acting_for_id: int | None) -> str:
    names = dict(
        Person.objects.filter(pk__in=[actor_id, acting_for_id or actor_id]).values_list(
            "pk", "display_name"
        )
    )
    actor = names.get(actor_id, "")
    if acting_for_id:
        return _("%(deputy)s for %(principal)s") % {
            "deputy": actor,
            "principal": names.get(acting_for_id, ""),
        }
    return actor
