"""The DX action plan flow on viewflow: topology only; every write is in workflow/dx/services.py.

One process for the plan's whole life, started at its first submission::

    start ─► review ─► reviewed? ─(passed)──► approval ─► report ─► end
               ▲          └─(sent back)─► revise ─┘(resubmitted: a new round)
               └──────────────────────────────┘

- ``review`` (事務局) and ``approval`` (委員会) are created unassigned: any member of the
  plan's secretariat unit, or of its committee group, may claim and act (the services check
  membership and assign the task to the actor). ``revise`` and ``report`` are assigned to the
  drafter.
- ``reviewed`` reads the outcome the service has just written on the plan: still
  ``in_review`` means the secretariat passed it on, ``returned`` means it was sent back.
- Services lock the plan row before driving the flow, and the flow locks its process row
  (``select_for_update_lock``): a task acted on twice, or concurrently, moves on once.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseNotFound
from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow, lock

from workflow.dx.models import ActionPlan


def task_screen(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    """viewflow's own task screens are not used: staff act through the API and our screens."""
    return HttpResponseNotFound()


class DXActionPlanFlow(flow.Flow):
    process_title = _("DX action plan")
    # viewflow's default is no lock at all.
    lock_impl = lock.select_for_update_lock

    start = flow.StartHandle(this.start_process).Next(this.review)
    review = flow.View(task_screen).Next(this.reviewed)
    reviewed = flow.If(this.passed_review).Then(this.approval).Else(this.revise)
    revise = flow.View(task_screen).Assign(this.drafter_user).Next(this.review)
    approval = flow.View(task_screen).Next(this.report)
    report = flow.View(task_screen).Assign(this.drafter_user).Next(this.end)
    end = flow.End()

    # --- callbacks (reads only) ---------------------------------------------------------------

    def start_process(self, activation: Any, *, plan: ActionPlan) -> Any:
        activation.process.data = {"plan": plan.pk}
        activation.process.artifact = plan
        return activation.process

    def passed_review(self, activation: Any) -> bool:
        return _plan(activation).status == ActionPlan.Status.IN_REVIEW

    def drafter_user(self, activation: Any) -> Any:
        plan = ActionPlan.objects.select_related("drafter__user").get(pk=_plan_id(activation))
        return plan.drafter.user


def _plan_id(activation: Any) -> int:
    return int(activation.process.data["plan"])


def _plan(activation: Any) -> ActionPlan:
    return ActionPlan.objects.get(pk=_plan_id(activation))
