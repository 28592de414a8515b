"""Every write of the DX action plan: drafting, submission, the secretariat's review, the
committee's approval, the results report, cancellation and the settings.

Each service is keyword-only and atomic, checks permission first (403), then state (409), then
input (400), writes its history row and audit event in the same transaction, and only then
drives the viewflow process. Actions lock the plan row first (``SELECT ... FOR UPDATE``) and
re-read it, so two committee members approving at once serialise: one succeeds, the other gets
``Conflict``. Lock order: plan row → viewflow process row → audit chain head.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.contrib.auth.models import Group
from django.utils import timezone
from django.utils.translation import gettext as _
from viewflow.workflow.models import Process, Task
from viewflow.workflow.status import PROCESS, STATUS

from audit import services as audit
from audit.exceptions import Conflict, PermissionRefused, ValidationFailed
from audit.transactions import atomic_service
from directory.models import OrgUnit, Person
from directory.selectors import person_for_user
from workflow.dx import permissions, selectors
from workflow.dx.flows import DXActionPlanFlow
from workflow.dx.models import ActionPlan, DXDecision, DXSettings
from workflow.engine import core
from workflow.engine.events import (
    ActionPlanApproved,
    ActionPlanSentBack,
    ActionPlanTaskCreated,
    publish,
)

Status = ActionPlan.Status
Action = DXDecision.Action

_UNSET: Any = object()
TITLE_MAX_LENGTH = ActionPlan._meta.get_field("title").max_length
# PostgreSQL's bigint: a larger estimate is a typo, not a plan.
COST_MAX = 10**15


# --- drafting ---------------------------------------------------------------------------------


@atomic_service
def action_plan_create(
    *,
    actor: Any,
    title: str,
    goal: str,
    estimated_cost: int,
    technology: str,
    report_due_on: date | None = None,
) -> ActionPlan:
    """A draft plan of the actor's 課. Raises PermissionRefused for a user who is not staff of
    the directory with a post, ValidationFailed for bad input."""
    drafter = _person(actor)
    unit = selectors.owning_unit_of(drafter)
    if unit is None:
        raise PermissionRefused(_("Only staff with a post can draft an action plan."))
    plan = ActionPlan(
        title=_clean_text(title, _("A title is required."), max_length=TITLE_MAX_LENGTH),
        goal=_clean_text(goal, _("A goal is required.")),
        estimated_cost=_clean_cost(estimated_cost),
        technology=_clean_text(technology, _("The technology is required.")),
        report_due_on=_clean_due_on(report_due_on),
        owning_unit=unit,
        drafter=drafter,
    )
    plan.save()
    _history(plan, actor=drafter, action=Action.CREATED)
    _audit("dx.action_plan_created", actor, plan, title=plan.title, cost=plan.estimated_cost)
    return plan


@atomic_service
def action_plan_update(
    *,
    actor: Any,
    plan: ActionPlan,
    title: str = _UNSET,
    goal: str = _UNSET,
    estimated_cost: int = _UNSET,
    technology: str = _UNSET,
    report_due_on: date | None = _UNSET,
) -> ActionPlan:
    """Change a draft or returned plan (drafter only). Raises PermissionRefused, Conflict
    unless draft/returned, ValidationFailed for bad input."""
    person = _person(actor)
    plan = _locked(plan.pk)
    if not permissions.is_drafter(person, plan):
        raise PermissionRefused(_("Only the drafter may change this action plan."))
    if not permissions.can_edit_action_plan(person, plan):
        raise Conflict(_("Only a draft or a returned action plan can be changed."))
    changed: dict[str, Any] = {}
    if title is not _UNSET:
        changed["title"] = _clean_text(
            title, _("A title is required."), max_length=TITLE_MAX_LENGTH
        )
    if goal is not _UNSET:
        changed["goal"] = _clean_text(goal, _("A goal is required."))
    if estimated_cost is not _UNSET:
        changed["estimated_cost"] = _clean_cost(estimated_cost)
    if technology is not _UNSET:
        changed["technology"] = _clean_text(technology, _("The technology is required."))
    if report_due_on is not _UNSET:
        changed["report_due_on"] = _clean_due_on(report_due_on)
    for field, value in changed.items():
        setattr(plan, field, value)
    plan.save(update_fields=[*changed, "updated_at"])
    _history(plan, actor=person, action=Action.UPDATED)
    _audit("dx.action_plan_updated", actor, plan, fields=sorted(changed))
    return plan


@atomic_service
def action_plan_submit(*, actor: Any, plan: ActionPlan) -> ActionPlan:
    """draft/returned → in_review, a new round for today's secretariat: the first submission
    starts the process, a resubmission completes the drafter's ``revise`` task.

    Raises PermissionRefused (not the drafter), Conflict (status, no secretariat configured),
    ValidationFailed (no future report due date).
    """
    person = _person(actor)
    plan = _locked(plan.pk)
    if not permissions.is_drafter(person, plan):
        raise PermissionRefused(_("Only the drafter may submit this action plan."))
    if not permissions.can_edit_action_plan(person, plan):
        raise Conflict(_("Only a draft or a returned action plan can be submitted."))
    if plan.report_due_on is None:
        raise ValidationFailed(_("A due date for the results report is required."))
    _clean_due_on(plan.report_due_on)
    secretariat = selectors.secretariat_unit_current()
    if secretariat is None:
        raise Conflict(_("No DX secretariat unit is configured."))
    now = timezone.now()
    resubmission = plan.status == Status.RETURNED
    plan.round += 1
    plan.status = Status.IN_REVIEW
    plan.submitted_at = now
    plan.reviewed_at = None
    plan.secretariat_unit = secretariat
    plan.committee_group = None
    plan.save(
        update_fields=[
            "round",
            "status",
            "submitted_at",
            "reviewed_at",
            "secretariat_unit",
            "committee_group",
            "updated_at",
        ]
    )
    task = None
    if resubmission:
        # The flow goes back from ``revise`` to ``review`` (the secretariat's task).
        task = _open_task(plan, DXActionPlanFlow.revise)
        _complete(task, actor)
    else:
        plan.process = DXActionPlanFlow.start.run(plan=plan)
        plan.save(update_fields=["process"])
    _history(plan, actor=person, action=Action.SUBMITTED, task=task, at=now)
    _publish_task(plan, "secretariat", selectors.unit_member_ids(secretariat.pk))
    _audit(
        "dx.action_plan_submitted",
        actor,
        plan,
        round=plan.round,
        secretariat_unit=secretariat.name,
    )
    return plan


@atomic_service
def action_plan_cancel(*, actor: Any, plan: ActionPlan, comment: str = "") -> ActionPlan:
    """The drafter abandons a plan before the committee approves it; its process and open task
    are cancelled. Raises PermissionRefused (not the drafter), Conflict (approved or later)."""
    person = _person(actor)
    plan = _locked(plan.pk)
    if not permissions.is_drafter(person, plan):
        raise PermissionRefused(_("Only the drafter may cancel this action plan."))
    if plan.status not in permissions.CANCELLABLE:
        raise Conflict(_("This action plan can no longer be cancelled."))
    if plan.process_id is not None:
        process = Process.objects.get(pk=plan.process_id)
        if process.status not in (PROCESS.DONE, PROCESS.CANCELED):
            DXActionPlanFlow.instance.cancel(process)
    plan.status = Status.CANCELLED
    plan.save(update_fields=["status", "updated_at"])
    _history(plan, actor=person, action=Action.CANCELLED, comment=comment)
    _audit("dx.action_plan_cancelled", actor, plan, round=plan.round)
    return plan


# --- the secretariat and the committee --------------------------------------------------------


@atomic_service
def action_plan_claim(*, actor: Any, plan: ActionPlan) -> ActionPlan:
    """A secretariat or committee member takes the plan's open review or approval task, so
    colleagues see it is being handled. Raises PermissionRefused (not a member, or the
    drafter), Conflict (no such task, or someone has claimed it)."""
    person = _person(actor)
    plan = _locked(plan.pk)
    node = _check_may_review_or_approve(person, actor, plan)
    task = _open_task(plan, node)
    if task.owner_id is not None:
        raise Conflict(_("This task has already been claimed by %(name)s.") % _owner(task))
    with task.activation() as activation:
        activation.assign(actor)
    _history(plan, actor=person, action=Action.CLAIMED, task=task)
    _audit("dx.action_plan_claimed", actor, plan, round=plan.round, stage=plan.stage)
    return plan


@atomic_service
def action_plan_review(
    *,
    actor: Any,
    plan: ActionPlan,
    is_cost_ok: bool,
    is_technology_ok: bool,
    cost_comment: str = "",
    technology_comment: str = "",
    comment: str = "",
) -> ActionPlan:
    """The secretariat passes the plan on to the committee: both the cost and the technical
    review must be passed. Raises PermissionRefused (not a member of the plan's secretariat
    unit, or the drafter), Conflict (not at the secretariat, claimed by someone else, or no
    committee configured), ValidationFailed (a review not passed: send it back instead)."""
    person = _person(actor)
    plan = _locked(plan.pk)
    _check_reviewer(person, plan)
    task = _open_task(plan, DXActionPlanFlow.review)
    _check_claim(task, actor)
    if not (is_cost_ok and is_technology_ok):
        raise ValidationFailed(
            _("Both the cost and the technical review must pass; otherwise send the plan back.")
        )
    committee = selectors.committee_group_current()
    if committee is None:
        raise Conflict(_("No DX committee group is configured."))
    now = timezone.now()
    plan.reviewed_at = now
    plan.committee_group = committee
    plan.save(update_fields=["reviewed_at", "committee_group", "updated_at"])
    _complete(task, actor)  # still in_review: the flow creates the committee's task
    _history(
        plan,
        actor=person,
        action=Action.REVIEWED,
        task=task,
        comment=comment,
        at=now,
        review=(True, cost_comment, True, technology_comment),
    )
    _audit("dx.action_plan_reviewed", actor, plan, round=plan.round, committee_group=committee.name)
    _publish_task(plan, "committee", selectors.group_member_ids(committee.pk))
    return plan


@atomic_service
def action_plan_send_back(
    *,
    actor: Any,
    plan: ActionPlan,
    comment: str,
    is_cost_ok: bool | None = None,
    is_technology_ok: bool | None = None,
    cost_comment: str = "",
    technology_comment: str = "",
) -> ActionPlan:
    """差戻し by the secretariat: the plan returns to the drafter with a comment (required),
    and the drafter gets a ``revise`` task. Raises ValidationFailed without a comment,
    PermissionRefused and Conflict like ``action_plan_review``."""
    comment = (comment or "").strip()
    if not comment:
        raise ValidationFailed(_("A comment is required to send an action plan back."))
    person = _person(actor)
    plan = _locked(plan.pk)
    _check_reviewer(person, plan)
    task = _open_task(plan, DXActionPlanFlow.review)
    _check_claim(task, actor)
    now = timezone.now()
    plan.status = Status.RETURNED
    plan.save(update_fields=["status", "updated_at"])
    _complete(task, actor)  # returned: the flow creates the drafter's ``revise`` task
    _history(
        plan,
        actor=person,
        action=Action.SENT_BACK,
        task=task,
        comment=comment,
        at=now,
        review=(is_cost_ok, cost_comment, is_technology_ok, technology_comment),
    )
    _audit("dx.action_plan_sent_back", actor, plan, round=plan.round)
    publish(ActionPlanSentBack(**_event_common(plan), actor_id=person.pk, comment=comment))
    return plan


@atomic_service
def action_plan_approve(
    *, actor: Any, plan: ActionPlan, comment: str = "", report_due_on: date | None = None
) -> ActionPlan:
    """The committee approves: the first member to act wins; the drafter gets the results
    report task, due on ``report_due_on`` (the committee may set another date).

    Raises PermissionRefused (not a member of the plan's committee group, or the drafter),
    Conflict (not at the committee, already approved), ValidationFailed (a past due date).
    """
    person = _person(actor)
    plan = _locked(plan.pk)
    _check_approver(person, actor, plan)
    if plan.status != Status.IN_REVIEW or plan.reviewed_at is None:
        raise Conflict(_("This action plan is not waiting for the committee."))
    task = _open_task(plan, DXActionPlanFlow.approval)
    _check_claim(task, actor)
    now = timezone.now()
    plan.status = Status.APPROVED
    plan.approved_at = now
    fields = ["status", "approved_at", "updated_at"]
    if report_due_on is not None:
        plan.report_due_on = _clean_due_on(report_due_on)
        fields.append("report_due_on")
    plan.save(update_fields=fields)
    _complete(task, actor)  # the flow assigns the results report to the drafter
    _history(plan, actor=person, action=Action.APPROVED, task=task, comment=comment, at=now)
    _audit(
        "dx.action_plan_approved",
        actor,
        plan,
        round=plan.round,
        report_due_on=plan.report_due_on,
    )
    publish(
        ActionPlanApproved(
            **_event_common(plan),
            actor_id=person.pk,
            comment=comment,
            report_due_on=plan.report_due_on,
        )
    )
    return plan


# --- results (効果検証) -------------------------------------------------------------------------


@atomic_service
def action_plan_report(
    *, actor: Any, plan: ActionPlan, results: str, is_final: bool = True
) -> ActionPlan:
    """The drafter reports the plan's results (効果検証): ``is_final=False`` saves a draft of
    the report (``reporting``), ``True`` completes the plan and its process.

    Raises PermissionRefused (not the drafter), Conflict (not approved, or already
    completed), ValidationFailed (no results).
    """
    person = _person(actor)
    plan = _locked(plan.pk)
    if not permissions.is_drafter(person, plan):
        raise PermissionRefused(_("Only the drafter may report on this action plan."))
    if plan.status not in permissions.REPORTABLE:
        raise Conflict(_("This action plan is not waiting for its results report."))
    results = (results or "").strip()
    if not results:
        raise ValidationFailed(_("The results are required."))
    task = _open_task(plan, DXActionPlanFlow.report)
    now = timezone.now()
    plan.results = results
    if is_final:
        plan.status = Status.COMPLETED
        plan.completed_at = now
        plan.save(update_fields=["results", "status", "completed_at", "updated_at"])
        _complete(task, actor)  # the process ends
    else:
        plan.status = Status.REPORTING
        plan.save(update_fields=["results", "status", "updated_at"])
        if task.status == STATUS.ASSIGNED:
            with task.activation() as activation:
                activation.start(None)  # viewflow: the drafter has started the task
                activation.task.save(update_fields=["status", "started"])
    action = Action.COMPLETED if is_final else Action.REPORT_SAVED
    _history(plan, actor=person, action=action, task=task, at=now)
    _audit(f"dx.action_plan_{action}", actor, plan, round=plan.round)
    return plan


# --- settings ---------------------------------------------------------------------------------


@atomic_service
def dx_settings_update(
    *, actor: Any, secretariat_unit: OrgUnit | None, committee_group: Group | None
) -> DXSettings:
    """Name the DX推進事務局 unit and the DX推進委員会 group (None: the default names).
    Plans already submitted keep theirs. Raises PermissionRefused without the change
    permission."""
    if not (actor and actor.is_active and actor.has_perm("workflow.change_dxsettings")):
        raise PermissionRefused(_("You may not change the DX settings."))
    settings_row, _created = DXSettings.objects.select_for_update(
        of=("self",), no_key=True
    ).get_or_create(key=1)
    settings_row.secretariat_unit = secretariat_unit
    settings_row.committee_group = committee_group
    settings_row.save(update_fields=["secretariat_unit", "committee_group"])
    audit.record(
        action="dx.settings_updated",
        actor=actor,
        target=settings_row,
        details={
            "secretariat_unit": secretariat_unit.name if secretariat_unit else None,
            "committee_group": committee_group.name if committee_group else None,
        },
    )
    return settings_row


# --- helpers ----------------------------------------------------------------------------------


def _person(actor: Any) -> Person:
    return core.acting_person(
        actor, refusal=_("Only staff of the directory can take part in DX action plans.")
    )


def _locked(plan_id: int) -> ActionPlan:
    return core.lock_row(ActionPlan.objects.all(), plan_id)


def _check_reviewer(person: Person, plan: ActionPlan) -> None:
    """403 unless a member of the secretariat (the plan's, or today's before any submission),
    then 409 unless the plan waits for the secretariat."""
    unit = plan.secretariat_unit if plan.secretariat_unit_id else None
    unit = unit or selectors.secretariat_unit_current()
    if not permissions.can_review_action_plan(
        person,
        plan,
        unit_ids=selectors.person_unit_ids(person),
        secretariat_unit_id=unit.pk if unit else None,
    ):
        raise PermissionRefused(_("Only the DX secretariat may review this action plan."))
    if plan.status != Status.IN_REVIEW or plan.reviewed_at is not None:
        raise Conflict(_("This action plan is not waiting for the secretariat."))


def _check_approver(person: Person, actor: Any, plan: ActionPlan) -> None:
    """403 unless a member of the committee (the plan's, or today's before the review)."""
    group = plan.committee_group if plan.committee_group_id else None
    group = group or selectors.committee_group_current()
    if not permissions.can_approve_action_plan(
        person,
        plan,
        group_ids=selectors.user_group_ids(actor),
        committee_group_id=group.pk if group else None,
    ):
        raise PermissionRefused(_("Only the DX committee may approve this action plan."))


def _check_may_review_or_approve(person: Person, actor: Any, plan: ActionPlan) -> Any:
    """The node of the task ``person`` may claim now (review or approval), else 403/409."""
    if plan.status == Status.IN_REVIEW and plan.reviewed_at is not None:
        _check_approver(person, actor, plan)
        return DXActionPlanFlow.approval
    _check_reviewer(person, plan)
    return DXActionPlanFlow.review


def _open_task(plan: ActionPlan, node: Any) -> Task:
    """The plan's open task at ``node``; Conflict when there is none (already acted on)."""
    task = selectors.action_plan_open_task(plan)
    if task is None or task.flow_task != node:
        raise Conflict(_("This task is no longer pending."))
    return task


def _check_claim(task: Task, actor: Any) -> None:
    if task.owner_id is not None and task.owner_id != actor.pk:
        raise Conflict(_("This task has already been claimed by %(name)s.") % _owner(task))


def _owner(task: Task) -> dict[str, str]:
    person = person_for_user(task.owner) if task.owner else None
    name = person.display_name if person else (task.owner.get_username() if task.owner else "")
    return {"name": name}


def _complete(task: Task, actor: Any) -> None:
    """Do the task as ``actor`` (claiming it if nobody has) and let the flow move on, under
    viewflow's process lock."""
    core.complete_task(
        task.pk, flow_class=task.flow_task.flow_class, process_id=task.process_id, owner=actor
    )


def _clean_text(value: str, message: str, *, max_length: int | None = None) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationFailed(message)
    if max_length is not None and len(value) > max_length:
        raise ValidationFailed(
            _("The text is longer than %(max)s characters.") % {"max": max_length}
        )
    return value


def _clean_cost(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < COST_MAX:
        raise ValidationFailed(_("The estimated cost must be a whole number of yen, 0 or more."))
    return value


def _clean_due_on(value: date | None) -> date | None:
    if value is not None and value <= timezone.localdate():
        raise ValidationFailed(_("The results report must be due after today."))
    return value


def _history(
    plan: ActionPlan,
    *,
    actor: Person,
    action: str,
    task: Task | None = None,
    comment: str = "",
    at: datetime | None = None,
    review: tuple[bool | None, str, bool | None, str] | None = None,
) -> None:
    is_cost_ok, cost_comment, is_technology_ok, technology_comment = review or (None, "", None, "")
    DXDecision.objects.create(
        plan=plan,
        round=plan.round,
        actor=actor,
        action=action,
        comment=(comment or "").strip(),
        is_cost_ok=is_cost_ok,
        cost_comment=(cost_comment or "").strip(),
        is_technology_ok=is_technology_ok,
        technology_comment=(technology_comment or "").strip(),
        task=task,
        at=at or timezone.now(),
    )


def _audit(action: str, actor: Any, plan: ActionPlan, **details: Any) -> None:
    core.audit_change(action, actor, plan, **details)


def _event_common(plan: ActionPlan) -> dict[str, Any]:
    return {
        "plan_id": plan.pk,
        "round": plan.round,
        "title": plan.title,
        "drafter_id": plan.drafter_id,
    }


def _publish_task(plan: ActionPlan, stage: str, member_ids: set[int]) -> None:
    """A body (the secretariat or the committee) has the plan to act on; never its drafter."""
    member_ids.discard(plan.drafter_id)
    publish(
        ActionPlanTaskCreated(
            **_event_common(plan), stage=stage, member_ids=tuple(sorted(member_ids))
        )
    )
