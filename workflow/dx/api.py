"""REST API of DX action plans under /api/v1/dx/action-plans/. Thin: parse, call a selector or
a service, shape the answer. Visibility comes from the selectors (invisible → 404), permissions
and states from the services (403/409), input errors are 400.
"""

from __future__ import annotations

from typing import Any

from django.urls import path
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.validators import (
    validate_amount_yen,
    validate_date_in_range,
    validate_text,
    validate_title,
)
from workflow.dx import selectors, services
from workflow.dx.models import ActionPlan, DXDecision

# Lists are not paginated yet: a city has dozens of plans a year, not thousands.
LIST_LIMIT = 500

# --- output shapes ----------------------------------------------------------------------------


@extend_schema_serializer(component_name="DXActionPlanHistoryEntry")
class HistoryOutput(serializers.Serializer):
    round = serializers.IntegerField()
    actor = serializers.CharField()
    action = serializers.CharField()
    comment = serializers.CharField()
    is_cost_ok = serializers.BooleanField(allow_null=True)
    cost_comment = serializers.CharField()
    is_technology_ok = serializers.BooleanField(allow_null=True)
    technology_comment = serializers.CharField()
    at = serializers.DateTimeField()


@extend_schema_serializer(component_name="DXActionPlanTask")
class TaskOutput(serializers.Serializer):
    id = serializers.IntegerField()
    node = serializers.CharField()
    status = serializers.CharField()
    owner = serializers.CharField(allow_null=True)


@extend_schema_serializer(component_name="DXActionPlan")
class PlanOutput(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    goal = serializers.CharField()
    estimated_cost = serializers.IntegerField()
    technology = serializers.CharField()
    owning_unit = serializers.CharField()
    drafter = serializers.CharField()
    status = serializers.CharField()
    stage = serializers.CharField()
    round = serializers.IntegerField()
    report_due_on = serializers.DateField(allow_null=True)
    is_overdue = serializers.BooleanField()
    results = serializers.CharField()
    secretariat_unit = serializers.CharField(allow_null=True)
    committee_group = serializers.CharField(allow_null=True)
    task = TaskOutput(allow_null=True)
    submitted_at = serializers.DateTimeField(allow_null=True)
    reviewed_at = serializers.DateTimeField(allow_null=True)
    approved_at = serializers.DateTimeField(allow_null=True)
    completed_at = serializers.DateTimeField(allow_null=True)


@extend_schema_serializer(component_name="DXActionPlanDetail")
class PlanDetailOutput(PlanOutput):
    history = HistoryOutput(many=True)


def _plan_data(plan: ActionPlan, task: Any) -> dict[str, Any]:
    return {
        "id": plan.pk,
        "title": plan.title,
        "goal": plan.goal,
        "estimated_cost": plan.estimated_cost,
        "technology": plan.technology,
        "owning_unit": plan.owning_unit.name,
        "drafter": plan.drafter.user.get_username(),
        "status": plan.status,
        "stage": plan.stage,
        "round": plan.round,
        "report_due_on": plan.report_due_on,
        "is_overdue": selectors.is_report_overdue(plan),
        "results": plan.results,
        "secretariat_unit": plan.secretariat_unit.name if plan.secretariat_unit_id else None,
        "committee_group": plan.committee_group.name if plan.committee_group_id else None,
        "task": _task_data(task) if task else None,
        "submitted_at": plan.submitted_at,
        "reviewed_at": plan.reviewed_at,
        "approved_at": plan.approved_at,
        "completed_at": plan.completed_at,
    }


def _plans_data(plans: Any) -> list[dict[str, Any]]:
    plans = list(plans)
    tasks = selectors.action_plan_open_tasks(plans)
    return PlanOutput([_plan_data(p, tasks.get(p.pk)) for p in plans], many=True).data


def _task_data(task: Any) -> dict[str, Any]:
    return {
        "id": task.pk,
        "node": task.flow_task.name,
        "status": task.status,
        "owner": task.owner.get_username() if task.owner_id else None,
    }


def _history_data(entry: DXDecision) -> dict[str, Any]:
    return {
        "round": entry.round,
        "actor": entry.actor.user.get_username(),
        "action": entry.action,
        "comment": entry.comment,
        "is_cost_ok": entry.is_cost_ok,
        "cost_comment": entry.cost_comment,
        "is_technology_ok": entry.is_technology_ok,
        "technology_comment": entry.technology_comment,
        "at": entry.at,
    }


def plan_detail(plan: ActionPlan) -> dict[str, Any]:
    data = _plan_data(plan, selectors.action_plan_open_task(plan))
    data["history"] = [_history_data(e) for e in selectors.action_plan_history(plan)]
    return PlanDetailOutput(data).data


def _reloaded(request: Request, plan_id: int, code: int = status.HTTP_200_OK) -> Response:
    plan = selectors.action_plan_get(user=request.user, plan_id=plan_id)
    return Response(plan_detail(plan), status=code)


def _valid(serializer_class: type[serializers.Serializer], request: Request) -> dict[str, Any]:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


# --- plans ------------------------------------------------------------------------------------


class ActionPlanListCreateApi(APIView):
    """GET: the plans I may see (``?overdue=1``: only overdue results reports).
    POST: a new draft plan of my 課 (201)."""

    @extend_schema_serializer(component_name="DXActionPlanCreateInput")
    class Input(serializers.Serializer):
        title = serializers.CharField(max_length=200, validators=[validate_title])
        goal = serializers.CharField(validators=[validate_text])
        estimated_cost = serializers.IntegerField(min_value=0, validators=[validate_amount_yen])
        technology = serializers.CharField()
        report_due_on = serializers.DateField(
            required=False, allow_null=True, default=None, validators=[validate_date_in_range]
        )

    @extend_schema(responses={200: PlanOutput(many=True)})
    def get(self, request: Request) -> Response:
        if request.query_params.get("overdue", "").lower() in {"1", "true", "yes"}:
            plans = selectors.action_plans_overdue(user=request.user)
        else:
            plans = selectors.action_plan_list_visible(user=request.user)
        return Response(_plans_data(plans[:LIST_LIMIT]))

    @extend_schema(request=Input, responses={201: PlanDetailOutput})
    def post(self, request: Request) -> Response:
        plan = services.action_plan_create(actor=request.user, **_valid(self.Input, request))
        return _reloaded(request, plan.pk, status.HTTP_201_CREATED)


class ActionPlanDetailApi(APIView):
    """GET: a plan I may see, with its open task and history. PATCH: change a draft/returned
    plan (the drafter)."""

    @extend_schema_serializer(component_name="DXActionPlanUpdateInput")
    class Input(serializers.Serializer):
        title = serializers.CharField(max_length=200, required=False, validators=[validate_title])
        goal = serializers.CharField(required=False, validators=[validate_text])
        estimated_cost = serializers.IntegerField(
            min_value=0, required=False, validators=[validate_amount_yen]
        )
        technology = serializers.CharField(required=False)
        report_due_on = serializers.DateField(
            required=False, allow_null=True, validators=[validate_date_in_range]
        )

    @extend_schema(responses={200: PlanDetailOutput})
    def get(self, request: Request, plan_id: int) -> Response:
        return _reloaded(request, plan_id)

    @extend_schema(request=Input, responses={200: PlanDetailOutput})
    def patch(self, request: Request, plan_id: int) -> Response:
        plan = selectors.action_plan_get(user=request.user, plan_id=plan_id)
        data = _valid(self.Input, request)
        services.action_plan_update(actor=request.user, plan=plan, **data)
        return _reloaded(request, plan_id)


@extend_schema_serializer(component_name="DXCommentInput")
class CommentInput(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="")


def _plan_action(
    request: Request, plan_id: int, service: Any, input_class: type[serializers.Serializer] | None
) -> Response:
    """Run an action on a visible plan (invisible is 404 whatever the input: checked first)."""
    plan = selectors.action_plan_get(user=request.user, plan_id=plan_id)
    data = _valid(input_class, request) if input_class else {}
    service(actor=request.user, plan=plan, **data)
    return _reloaded(request, plan_id)


class ActionPlanSubmitApi(APIView):
    """POST: draft/returned → in_review (a new round, for the secretariat)."""

    @extend_schema(request=None, responses={200: PlanDetailOutput})
    def post(self, request: Request, plan_id: int) -> Response:
        return _plan_action(request, plan_id, services.action_plan_submit, None)


class ActionPlanCancelApi(APIView):
    """POST: the drafter abandons the plan before the committee approves it."""

    @extend_schema(request=CommentInput, responses={200: PlanDetailOutput})
    def post(self, request: Request, plan_id: int) -> Response:
        return _plan_action(request, plan_id, services.action_plan_cancel, CommentInput)


class ActionPlanClaimApi(APIView):
    """POST: a secretariat or committee member takes the open task; 409 once claimed."""

    @extend_schema(request=None, responses={200: PlanDetailOutput})
    def post(self, request: Request, plan_id: int) -> Response:
        return _plan_action(request, plan_id, services.action_plan_claim, None)


@extend_schema_serializer(component_name="DXReviewInput")
class ReviewInput(serializers.Serializer):
    is_cost_ok = serializers.BooleanField()
    cost_comment = serializers.CharField(required=False, allow_blank=True, default="")
    is_technology_ok = serializers.BooleanField()
    technology_comment = serializers.CharField(required=False, allow_blank=True, default="")
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class ActionPlanReviewApi(APIView):
    """POST: the secretariat passes the plan to the committee (both reviews must pass)."""

    @extend_schema(request=ReviewInput, responses={200: PlanDetailOutput})
    def post(self, request: Request, plan_id: int) -> Response:
        return _plan_action(request, plan_id, services.action_plan_review, ReviewInput)


@extend_schema_serializer(component_name="DXSendBackInput")
class SendBackInput(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="")
    is_cost_ok = serializers.BooleanField(required=False, allow_null=True, default=None)
    cost_comment = serializers.CharField(required=False, allow_blank=True, default="")
    is_technology_ok = serializers.BooleanField(required=False, allow_null=True, default=None)
    technology_comment = serializers.CharField(required=False, allow_blank=True, default="")


class ActionPlanSendBackApi(APIView):
    """POST: 差戻し by the secretariat; a comment is required (400)."""

    @extend_schema(request=SendBackInput, responses={200: PlanDetailOutput})
    def post(self, request: Request, plan_id: int) -> Response:
        return _plan_action(request, plan_id, services.action_plan_send_back, SendBackInput)


@extend_schema_serializer(component_name="DXApproveInput")
class ApproveInput(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="")
    report_due_on = serializers.DateField(
        required=False, allow_null=True, default=None, validators=[validate_date_in_range]
    )


class ActionPlanApproveApi(APIView):
    """POST: a committee member approves; the first wins, a second gets 409."""

    @extend_schema(request=ApproveInput, responses={200: PlanDetailOutput})
    def post(self, request: Request, plan_id: int) -> Response:
        return _plan_action(request, plan_id, services.action_plan_approve, ApproveInput)


@extend_schema_serializer(component_name="DXReportInput")
class ReportInput(serializers.Serializer):
    results = serializers.CharField(required=False, allow_blank=True, default="")
    is_final = serializers.BooleanField(required=False, default=True)


class ActionPlanReportApi(APIView):
    """POST: the drafter reports the results (効果検証); ``is_final=false`` saves a draft."""

    @extend_schema(request=ReportInput, responses={200: PlanDetailOutput})
    def post(self, request: Request, plan_id: int) -> Response:
        return _plan_action(request, plan_id, services.action_plan_report, ReportInput)


class ActionPlanTaskListApi(APIView):
    """GET: the plans waiting for me (reviews, approvals, my revisions and reports)."""

    @extend_schema(responses={200: PlanOutput(many=True)})
    def get(self, request: Request) -> Response:
        plans = selectors.action_plan_tasks_for_user(user=request.user)
        return Response(_plans_data(plans))


app_name = "dx_api"

_PLAN = "dx/action-plans/<int:plan_id>/"
urlpatterns = [
    path("dx/action-plans/", ActionPlanListCreateApi.as_view(), name="action-plans"),
    path("dx/action-plans/tasks/", ActionPlanTaskListApi.as_view(), name="action-plan-tasks"),
    path(_PLAN, ActionPlanDetailApi.as_view(), name="action-plan"),
    path(f"{_PLAN}submit/", ActionPlanSubmitApi.as_view(), name="action-plan-submit"),
    path(f"{_PLAN}cancel/", ActionPlanCancelApi.as_view(), name="action-plan-cancel"),
    path(f"{_PLAN}claim/", ActionPlanClaimApi.as_view(), name="action-plan-claim"),
    path(f"{_PLAN}review/", ActionPlanReviewApi.as_view(), name="action-plan-review"),
    path(f"{_PLAN}send-back/", ActionPlanSendBackApi.as_view(), name="action-plan-send-back"),
    path(f"{_PLAN}approve/", ActionPlanApproveApi.as_view(), name="action-plan-approve"),
    path(f"{_PLAN}report/", ActionPlanReportApi.as_view(), name="action-plan-report"),
]
