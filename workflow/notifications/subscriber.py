"""The notifying subscriber: approval events → in-app notifications and e-mails.

The services publish one typed event per change (``workflow/engine/events.py``); this receiver
of ``approval_event`` (connected in ``WorkflowConfig.ready``) turns each into the notifications
of the people it concerns, in the site's language (Japanese):

- ``ProposalTaskCreated`` → the step's approver, and their active deputies;
- ``ProposalSentBack`` → the drafter, with the comment;
- ``ProposalDecided`` (決裁, 否決, or the last 供覧) → the drafter, with the document number;
- ``ProposalStopped`` (引戻し, 取下げ) → the approvers the round had reached;
- ``ProposalActedFor`` (代決) → the principal, who reviews it afterwards (後閲);
- the DX action plan's events → the body that acts next, or the drafter.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.translation import gettext as _

from directory.models import Person
from directory.notifications import notification_create, notification_email
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
    task_subject,
)
from workflow.proposals.models import ProposalStep


def connect() -> None:
    """Subscribe to the approval events (``WorkflowConfig.ready``)."""
    approval_event.connect(notify, dispatch_uid="workflow.notifications.notify")


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
