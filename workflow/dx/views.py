"""HTML screens of the DX action plans, mounted at /approval/dx/: the list (mine, my 事務局 and
委員会 queues, overdue reports), the plan form, and the detail with its history by round and
only the actions valid for the viewer.

Thin: parse, call a selector or a service, render. Visibility comes from the selectors
(invisible → 404); the services check permission and state again. Every action POST
redirects to the plan's page, also when refused: the refusal (400/403/409) and what was typed
are kept for one page view in the session and shown there, so the browser never stays on a
POST address (a reload cannot post again).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template import engines
from django.template.backends.django import Template as BackendTemplate
from django.template.loaders.filesystem import Loader
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from audit.exceptions import KairanError, NotFound, ValidationFailed
from directory.selectors import person_for_user
from workflow.dx import permissions, screen_queries, selectors, services
from workflow.dx.forms import ActionPlanForm, ApproveForm, CommentForm, ReportForm, ReviewForm
from workflow.dx.models import ActionPlan

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
DETAIL = "workflow:dx:detail"


# --- templates --------------------------------------------------------------------------------


@cache
def _cached_template(name: str) -> BackendTemplate:
    return _load_template(name)


def _load_template(name: str) -> BackendTemplate:
    # workflow.dx is not an app of its own, so APP_DIRS does not see its templates: load them
    # from here with the project's engine (base.html, tags and context processors as usual).
    backend = engines["django"]
    template = Loader(backend.engine, dirs=[TEMPLATES_DIR]).get_template(name)
    return BackendTemplate(template, backend)


def _render(
    request: HttpRequest, name: str, context: dict[str, Any], *, status: int = 200
) -> HttpResponse:
    template = _load_template(name) if settings.DEBUG else _cached_template(name)
    return HttpResponse(template.render(context, request), status=status)


def _visible(request: HttpRequest, plan_id: int) -> ActionPlan:
    try:
        return selectors.action_plan_get(user=request.user, plan_id=plan_id)
    except NotFound as exc:
        raise Http404 from exc


# --- list -------------------------------------------------------------------------------------


@require_GET
@login_required
def plan_list(request: HttpRequest) -> HttpResponse:
    """Plans waiting for me (事務局, 委員会, my own to revise or report on), my plans, overdue
    results reports and the other plans I may see."""
    person = person_for_user(request.user)
    waiting = selectors.action_plan_tasks_for_user(user=request.user)
    mine = (
        list(screen_queries.action_plans_drafted_by(user=request.user, person=person))
        if person
        else []
    )
    overdue = list(selectors.action_plans_overdue(user=request.user))
    others = list(screen_queries.action_plans_of_others(user=request.user, person=person))
    overdue_ids = {p.pk for p in overdue}
    for plan in [*waiting, *mine, *others]:
        plan.is_overdue = plan.pk in overdue_ids
    roles = selectors.dx_roles_of(user=request.user, person=person)
    context = {
        **roles,
        "secretariat_queue": [p for p in waiting if p.stage == "secretariat"],
        "committee_queue": [p for p in waiting if p.stage == "committee"],
        "my_tasks": [p for p in waiting if p.stage == "drafter"],
        "mine": mine,
        "overdue": overdue,
        "others": others,
        "may_draft": person is not None and selectors.owning_unit_of(person) is not None,
    }
    return _render(request, "dx/plan_list.html", context)


# --- new plan and edit ------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
def plan_create(request: HttpRequest) -> HttpResponse:
    """The new action plan form; saving makes a draft (then the detail page)."""
    return _form_page(request, None)


@require_http_methods(["GET", "POST"])
@login_required
def plan_edit(request: HttpRequest, plan_id: int) -> HttpResponse:
    """Change a draft or returned plan (the drafter only)."""
    plan = _visible(request, plan_id)
    if not permissions.can_edit_action_plan(person_for_user(request.user), plan):
        raise Http404
    return _form_page(request, plan)


def _form_page(request: HttpRequest, plan: ActionPlan | None) -> HttpResponse:
    initial = {}
    if plan is not None:
        initial = {
            "title": plan.title,
            "goal": plan.goal,
            "estimated_cost": plan.estimated_cost,
            "technology": plan.technology,
            "report_due_on": plan.report_due_on,
        }
    form = ActionPlanForm(request.POST or None, initial=initial)
    status = 400 if form.is_bound else 200
    if form.is_valid():
        try:
            if plan is None:
                plan = services.action_plan_create(actor=request.user, **form.service_data())
            else:
                services.action_plan_update(actor=request.user, plan=plan, **form.service_data())
        except KairanError as exc:
            form.add_error(None, exc.message)
            status = exc.status_code
        else:
            messages.success(request, _("The action plan was saved. Submit it from its page."))
            return redirect(DETAIL, plan_id=plan.pk)
    return _render(request, "dx/plan_form.html", {"form": form, "plan": plan}, status=status)


# --- detail and actions -----------------------------------------------------------------------


@require_GET
@login_required
def plan_detail(request: HttpRequest, plan_id: int) -> HttpResponse:
    """Facts, status, the viewer's actions and the history by round; after a refused action,
    its refusal and what was typed (once)."""
    plan = _visible(request, plan_id)
    failed = request.session.pop(_failed_key(plan.pk), None)
    context = _detail_context(request, plan, failed_data=failed["data"] if failed else None)
    if failed:
        context["failed"] = {k: failed[k] for k in ("action", "message", "status")}
    return _render(request, "dx/plan_detail.html", context)


def _failed_key(plan_id: int) -> str:
    return f"workflow.dx.failed.{plan_id}"


def _cleaned(form: forms.Form) -> dict[str, Any]:
    """The form's data, or ValidationFailed (400) with its errors."""
    if not form.is_valid():
        raise ValidationFailed(" ".join(e for errors in form.errors.values() for e in errors))
    return form.cleaned_data


def _submit(request: HttpRequest, plan: ActionPlan) -> Any:
    services.action_plan_submit(actor=request.user, plan=plan)
    return _("The action plan was submitted to the DX secretariat.")


def _cancel(request: HttpRequest, plan: ActionPlan) -> Any:
    data = _cleaned(CommentForm(request.POST))
    services.action_plan_cancel(actor=request.user, plan=plan, comment=data["comment"])
    return _("The action plan was cancelled.")


def _claim(request: HttpRequest, plan: ActionPlan) -> Any:
    services.action_plan_claim(actor=request.user, plan=plan)
    return _("You took charge of this action plan.")


def _review(request: HttpRequest, plan: ActionPlan) -> Any:
    services.action_plan_review(actor=request.user, plan=plan, **_cleaned(ReviewForm(request.POST)))
    return _("You passed the action plan on to the DX committee.")


def _send_back(request: HttpRequest, plan: ActionPlan) -> Any:
    services.action_plan_send_back(
        actor=request.user, plan=plan, **_cleaned(ReviewForm(request.POST))
    )
    return _("You sent the action plan back to the drafter.")


def _approve(request: HttpRequest, plan: ActionPlan) -> Any:
    services.action_plan_approve(
        actor=request.user, plan=plan, **_cleaned(ApproveForm(request.POST))
    )
    return _("You approved the action plan.")


def _report(request: HttpRequest, plan: ActionPlan) -> Any:
    data = _cleaned(ReportForm(request.POST))
    is_final = request.POST.get("final") == "1"
    services.action_plan_report(
        actor=request.user, plan=plan, results=data["results"], is_final=is_final
    )
    if is_final:
        return _("The results were reported; the action plan is completed.")
    return _("The results report was saved. Send it when it is final.")


ACTIONS: dict[str, Callable[[HttpRequest, ActionPlan], Any]] = {
    "submit": _submit,
    "cancel": _cancel,
    "claim": _claim,
    "review": _review,
    "send-back": _send_back,
    "approve": _approve,
    "report": _report,
}


@require_POST
@login_required
def plan_action(request: HttpRequest, plan_id: int, action: str) -> HttpResponse:
    """Any action of the detail page, through its service; then back to the plan's page, with
    the refusal shown there when the service refused."""
    plan = _visible(request, plan_id)
    try:
        done = ACTIONS[action](request, plan)
    except KairanError as exc:
        typed = {k: v for k, v in request.POST.items() if k != "csrfmiddlewaretoken"}
        request.session[_failed_key(plan.pk)] = {
            "action": action,
            "message": str(exc.message),
            "status": exc.status_code,
            "data": typed,
        }
    else:
        messages.success(request, done)
    return redirect(DETAIL, plan_id=plan.pk)


def _detail_context(
    request: HttpRequest, plan: ActionPlan, *, failed_data: Any = None
) -> dict[str, Any]:
    history = selectors.action_plan_history(plan)
    rounds: dict[int, list] = {}
    for entry in history:
        rounds.setdefault(entry.round, []).append(entry)
    return {
        "plan": plan,
        "is_overdue": selectors.is_report_overdue(plan),
        "rounds": sorted(rounds.items()),
        "actions": _actions(request.user, plan),
        "review_form": ReviewForm(failed_data),
        "approve_form": ApproveForm(failed_data),
        "report_form": ReportForm(failed_data, initial={"results": plan.results}),
        "comment_form": CommentForm(failed_data),
    }


def _actions(user: Any, plan: ActionPlan) -> dict[str, Any]:
    """The buttons valid for this viewer (the services check again)."""
    person = person_for_user(user)
    task = selectors.action_plan_open_task(plan)
    is_drafter = permissions.is_drafter(person, plan)
    is_reviewer = plan.stage == "secretariat" and permissions.can_review_action_plan(
        person,
        plan,
        unit_ids=selectors.person_unit_ids(person),
        secretariat_unit_id=plan.secretariat_unit_id,
    )
    is_approver = plan.stage == "committee" and permissions.can_approve_action_plan(
        person,
        plan,
        group_ids=selectors.user_group_ids(user),
        committee_group_id=plan.committee_group_id,
    )
    owner = task.owner if task is not None and task.owner_id is not None else None
    may_act = task is not None and (owner is None or owner.pk == user.pk)
    return {
        "edit": permissions.can_edit_action_plan(person, plan),
        "submit": permissions.can_edit_action_plan(person, plan),
        "cancel": is_drafter and plan.status in permissions.CANCELLABLE,
        "claim": (is_reviewer or is_approver) and task is not None and owner is None,
        "review": is_reviewer and may_act,
        "approve": is_approver and may_act,
        "report": is_drafter and plan.status in permissions.REPORTABLE,
        "owner": person_for_user(owner) if (owner and (is_reviewer or is_approver)) else None,
    }
