"""Reads of DX action plans, their settings, tasks and history, with visibility.

A plan is visible to its drafter, the members of its owning 課, auditors
(``audit.view_auditevent``) and, once submitted, the DX secretariat and committee (the plan's
own and today's). To anybody else it does not exist (404).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib.auth.models import Group
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from audit.exceptions import NotFound
from audit.permissions import can_view_audit_log
from directory.models import Assignment, OrgUnit, Person
from directory.selectors import person_for_user, unit_ancestors
from workflow.dx import permissions
from workflow.dx.models import (
    DEFAULT_COMMITTEE_GROUP_NAME,
    DEFAULT_SECRETARIAT_UNIT_NAMES,
    ActionPlan,
    DXDecision,
    DXSettings,
)

Status = ActionPlan.Status
OPEN_TASK_STATUSES = (STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED)


# --- settings ---------------------------------------------------------------------------------


def dx_settings_get() -> DXSettings:
    """The settings row, or an unsaved empty one (every field falls back to its default)."""
    return DXSettings.objects.select_related("secretariat_unit", "committee_group").filter(
        key=1
    ).first() or DXSettings(key=1)


def secretariat_unit_current() -> OrgUnit | None:
    """The DX推進事務局: the configured unit, else the first active unit named デジタル推進課
    or DX推進係, else None."""
    configured = dx_settings_get().secretariat_unit
    if configured is not None:
        return configured
    for name in DEFAULT_SECRETARIAT_UNIT_NAMES:
        unit = OrgUnit.objects.filter(name=name, is_active=True).order_by("level", "id").first()
        if unit is not None:
            return unit
    return None


def committee_group_current() -> Group | None:
    """The DX推進委員会: the configured group, else the group named DX推進委員会, else None."""
    configured = dx_settings_get().committee_group
    if configured is not None:
        return configured
    return Group.objects.filter(name=DEFAULT_COMMITTEE_GROUP_NAME).first()


# --- who belongs where ------------------------------------------------------------------------


def person_unit_ids(person: Person | None) -> set[int]:
    """Every unit of the person's posts (兼務 too) and the units above them."""
    if person is None:
        return set()
    posts = Assignment.objects.filter(person=person).select_related("unit")
    return {unit.pk for post in posts for unit in unit_ancestors(post.unit)}


def user_group_ids(user: Any) -> set[int]:
    if user is None or not getattr(user, "is_authenticated", False):
        return set()
    return set(user.groups.values_list("pk", flat=True))


def dx_roles_of(*, user: Any, person: Person | None) -> dict[str, bool]:
    """Whether the user sits in today's DX secretariat unit or committee group: each queue of
    the plans screen is shown to its role only."""
    secretariat, committee = secretariat_unit_current(), committee_group_current()
    return {
        "is_secretariat": person is not None
        and permissions.is_secretariat_member(
            person_unit_ids(person), secretariat.pk if secretariat else None
        ),
        "is_committee": person is not None
        and permissions.is_committee_member(
            user_group_ids(user), committee.pk if committee else None
        ),
    }


def action_plan_decisions_for_user(*, user: Any) -> int:
    """How many plans wait for the user's decision as a member of the secretariat or the
    committee (the 未決 count of the home page; never their own plans)."""
    person = person_for_user(user)
    if person is None:
        return 0
    return sum(1 for p in action_plan_tasks_for_user(user=user) if p.drafter_id != person.pk)


def owning_unit_of(person: Person) -> OrgUnit | None:
    """The person's 課 (or the unit itself for someone posted above any 課), or None."""
    post = person.assignments.select_related("unit").filter(is_primary=True).first()
    if post is None:
        return None
    return (
        next((u for u in unit_ancestors(post.unit) if u.level == OrgUnit.Level.DIVISION), None)
        or post.unit
    )


# --- plans ------------------------------------------------------------------------------------


def _plan_base() -> QuerySet[ActionPlan]:
    return ActionPlan.objects.select_related(
        "drafter__user", "owning_unit", "secretariat_unit", "committee_group"
    )


def action_plan_list_visible(*, user: Any) -> QuerySet[ActionPlan]:
    """The plans ``user`` may see (see the module docstring)."""
    if can_view_audit_log(user):
        return _plan_base()
    person = person_for_user(user)
    if person is None:
        return ActionPlan.objects.none()
    unit_ids, group_ids = person_unit_ids(person), user_group_ids(user)
    visible = (
        Q(drafter=person)
        | Q(owning_unit__in=unit_ids)
        | Q(secretariat_unit__in=unit_ids)
        | Q(committee_group__in=group_ids)
    )
    secretariat, committee = secretariat_unit_current(), committee_group_current()
    if permissions.is_secretariat_member(
        unit_ids, secretariat.pk if secretariat else None
    ) or permissions.is_committee_member(group_ids, committee.pk if committee else None):
        visible |= Q(round__gte=1)
    return _plan_base().filter(visible)


def action_plan_get(*, user: Any, plan_id: int) -> ActionPlan:
    """The plan if ``user`` may see it; raises NotFound otherwise (the two look the same)."""
    plan = action_plan_list_visible(user=user).filter(pk=plan_id).first()
    if plan is None:
        raise NotFound(_("Not found."))
    return plan


def action_plan_history(plan: ActionPlan) -> list[DXDecision]:
    """Every entry of the plan's history, oldest first."""
    return list(
        DXDecision.objects.filter(plan=plan).select_related("actor__user").order_by("at", "id")
    )


def _open_tasks() -> QuerySet[Task]:
    return Task.objects.filter(
        flow_task_type="HUMAN", status__in=OPEN_TASK_STATUSES
    ).select_related("owner")


def action_plan_open_task(plan: ActionPlan) -> Task | None:
    """The plan's open human task (the flow has at most one at a time), or None."""
    if plan.process_id is None:
        return None
    return _open_tasks().filter(process_id=plan.process_id).order_by("-id").first()


def action_plan_open_tasks(plans: list[ActionPlan]) -> dict[int, Task]:
    """The open task of each plan that has one, by plan id, in one query."""
    by_process = {p.process_id: p.pk for p in plans if p.process_id is not None}
    tasks = _open_tasks().filter(process_id__in=by_process).order_by("id")
    return {by_process[t.process_id]: t for t in tasks}


def is_report_overdue(plan: ActionPlan, on: date | None = None) -> bool:
    """Approved, its results report not in, and due before ``on`` (default: today)."""
    on = on or timezone.localdate()
    return (
        plan.status in (Status.APPROVED, Status.REPORTING)
        and plan.report_due_on is not None
        and plan.report_due_on < on
    )


def action_plans_overdue(on: date | None = None, *, user: Any = None) -> QuerySet[ActionPlan]:
    """Approved plans whose results report was due before ``on`` (default: today) and is not
    in yet, soonest due first; only those ``user`` may see when given."""
    on = on or timezone.localdate()
    plans = action_plan_list_visible(user=user) if user is not None else _plan_base()
    return plans.filter(
        status__in=(Status.APPROVED, Status.REPORTING), report_due_on__lt=on
    ).order_by("report_due_on", "id")


def action_plan_tasks_for_user(*, user: Any) -> list[ActionPlan]:
    """Plans waiting for ``user``: secretariat reviews of their units, committee approvals of
    their groups (never their own plans), and their own plans to revise or report on."""
    person = person_for_user(user)
    if person is None:
        return []
    unit_ids, group_ids = person_unit_ids(person), user_group_ids(user)
    waiting = (
        Q(status=Status.IN_REVIEW, reviewed_at__isnull=True, secretariat_unit__in=unit_ids)
        | Q(status=Status.IN_REVIEW, reviewed_at__isnull=False, committee_group__in=group_ids)
    ) & ~Q(drafter=person)
    mine = Q(drafter=person, status__in=(Status.RETURNED, Status.APPROVED, Status.REPORTING))
    return list(_plan_base().filter(waiting | mine).order_by("updated_at", "id"))


def unit_member_ids(unit_id: int) -> set[int]:
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


def group_member_ids(group_id: int) -> set[int]:
    """Active directory people whose account is in the group."""
    return set(
        Person.objects.filter(user__groups=group_id, is_active=True).values_list("pk", flat=True)
    )
