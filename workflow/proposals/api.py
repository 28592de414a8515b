"""REST API of the approval workflow (CONTRACT.md "Approval"). Thin: parse, call a selector or a
service, shape the answer. Visibility comes from the selectors (invisible → 404), permissions
and states from the services (403/409).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.exceptions import PermissionRefused
from audit.validators import validate_amount_yen, validate_text, validate_title
from directory import services as directory_services
from documents.models import Retention
from workflow.proposals import selectors, services
from workflow.proposals.api_attachments import AttachmentOutput
from workflow.proposals.models import PostReview, Proposal
from workflow.proposals.rendering.decision_pdf import render_decision_pdf
from workflow.proposals.rendering.issue_letter import render_issue_letter
from workflow.proposals.rendering.letter_template import render_letter_from_template


def _username(person: Any) -> str | None:
    return person.user.get_username() if person is not None else None


# --- shared output shapes ---------------------------------------------------------------------


@extend_schema_serializer(component_name="ProposalRouteStep")
class RouteStepOutput(serializers.Serializer):
    id = serializers.IntegerField()
    order = serializers.IntegerField()
    kind = serializers.CharField()
    approver = serializers.CharField()
    unit = serializers.CharField()
    position = serializers.CharField()
    state = serializers.CharField()
    reason = serializers.CharField()
    is_optional = serializers.BooleanField()
    optional = serializers.BooleanField()
    acted_by = serializers.CharField(allow_null=True)
    acting_for = serializers.CharField(allow_null=True)
    acted_at = serializers.DateTimeField(allow_null=True)
    comment = serializers.CharField()


@extend_schema_serializer(component_name="ProposalHistoryEntry")
class HistoryOutput(serializers.Serializer):
    round = serializers.IntegerField()
    actor = serializers.CharField()
    acting_for = serializers.CharField(allow_null=True)
    action = serializers.CharField()
    at = serializers.DateTimeField()
    comment = serializers.CharField()


@extend_schema_serializer(component_name="ProposalReviewers")
class ReviewersField(serializers.Serializer):
    """The drafter's optional reviewers by username: extra 回議 and extra 合議."""

    approve = serializers.ListField(child=serializers.CharField(max_length=150), required=False)
    consult = serializers.ListField(child=serializers.CharField(max_length=150), required=False)


@extend_schema_serializer(component_name="Proposal")
class ProposalOutput(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    title = serializers.CharField()
    body = serializers.CharField()
    category = serializers.CharField()
    amount = serializers.IntegerField(allow_null=True)
    due_on = serializers.DateField(allow_null=True)
    binder_title = serializers.CharField()
    retention_years = serializers.IntegerField(allow_null=True)
    status = serializers.CharField()
    drafter = serializers.CharField()
    drafting_unit = serializers.CharField()
    round = serializers.IntegerField()
    ruleset_version = serializers.IntegerField(allow_null=True)
    route = RouteStepOutput(many=True)
    reviewers = ReviewersField()
    explanations = serializers.ListField(child=serializers.CharField())
    document_number = serializers.CharField(allow_null=True)
    fiscal_year = serializers.IntegerField(allow_null=True)
    submitted_at = serializers.DateTimeField(allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    history = HistoryOutput(many=True)
    attachments = AttachmentOutput(many=True)


def _step_data(step: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": step["id"],
        "order": step["order"],
        "kind": step["kind"],
        "approver": step["approver_username"],
        "unit": step["unit_name"],
        "position": step["position"],
        "state": step["state"],
        "reason": step["reason"],
        "is_optional": step["is_optional"],
        # Added by the drafter (an extra 回議 or 合議), not required by the rules.
        "optional": step["is_optional"],
        "acted_by": step["acted_by_username"],
        "acting_for": step["acting_for_username"],
        "acted_at": step["acted_at"],
        "comment": step["comment"],
    }


def _history_data(entry: dict[str, Any]) -> dict[str, Any]:
    return {
        "round": entry["round"],
        "actor": entry["actor_username"],
        "acting_for": entry["acting_for_username"],
        "action": entry["action"],
        "at": entry["at"],
        "comment": entry["comment"],
    }


def proposal_values(proposal: Proposal) -> dict[str, Any]:
    """The proposal's answer before formatting: ``ProposalOutput``'s fields as Python values."""
    return {
        "id": proposal.pk,
        "kind": proposal.kind,
        "title": proposal.title,
        "body": proposal.body,
        "category": proposal.category.code,
        "amount": proposal.amount,
        "due_on": proposal.due_on,
        "binder_title": proposal.binder_title,
        "retention_years": proposal.retention_years,
        "status": proposal.status,
        "drafter": _username(proposal.drafter),
        "drafting_unit": proposal.drafting_unit.name,
        "round": proposal.round,
        "ruleset_version": proposal.ruleset.version if proposal.ruleset_id else None,
        "route": [_step_data(step) for step in selectors.proposal_route_values(proposal)],
        "reviewers": selectors.proposal_reviewers(proposal),
        "explanations": list(proposal.explanations),
        "document_number": proposal.document_number or None,
        "fiscal_year": proposal.fiscal_year,
        "submitted_at": proposal.submitted_at,
        "decided_at": proposal.decided_at,
        "history": [_history_data(e) for e in selectors.proposal_history_values(proposal)],
        "attachments": selectors.proposal_attachments(proposal),
    }


def proposal_data(proposal: Proposal) -> dict[str, Any]:
    """The proposal as the API answers it (``ProposalOutput``, the documented schema).

    Formatted without running the serializer: its fields only format here (the values are
    already plain), and it cost as much as the approval's own queries (2.4 of 6 ms an answer).
    ``tests/workflow/test_proposal_answer.py`` checks the two give the same JSON.
    """
    return _plain(proposal_values(proposal))


def _plain(value: Any) -> Any:
    """What DRF's fields make of ``value``: datetimes in the current time zone, ISO 8601 (``Z``
    for UTC, as ``DateTimeField`` writes it), dates ISO 8601, the rest as it is."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, datetime):
        text = timezone.localtime(value).isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text
    if isinstance(value, date):
        return value.isoformat()
    return value


def _reloaded(request: Request, proposal_id: int) -> Response:
    proposal = selectors.proposal_get(user=request.user, proposal_id=proposal_id)
    return Response(proposal_data(proposal))


@extend_schema_serializer(component_name="TaskActionInput")
class TaskActionInput(serializers.Serializer):
    comment = serializers.CharField(
        required=False, allow_blank=True, default="", validators=[validate_text]
    )


# --- proposals --------------------------------------------------------------------------------


class ProposalCreateApi(APIView):
    """POST: a new draft proposal of mine, with its computed route (201)."""

    @extend_schema_serializer(component_name="ProposalCreateInput")
    class Input(serializers.Serializer):
        title = serializers.CharField(max_length=200, validators=[validate_title])
        body = serializers.CharField(
            required=False, allow_blank=True, default="", validators=[validate_text]
        )
        category = serializers.CharField(max_length=30)
        amount = serializers.IntegerField(
            required=False, allow_null=True, min_value=0, validators=[validate_amount_yen]
        )
        due_on = serializers.DateField(required=False, allow_null=True)
        binder_title = serializers.CharField(
            required=False, allow_blank=True, max_length=200, validators=[validate_text]
        )
        retention_years = serializers.ChoiceField(
            choices=Retention.values, required=False, allow_null=True
        )
        reviewers = ReviewersField(required=False)

    @extend_schema(request=Input, responses={201: ProposalOutput})
    def post(self, request: Request) -> Response:
        serializer = self.Input(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.update(_reviewer_args(data.pop("reviewers", None)))
        proposal = services.proposal_create(actor=request.user, **data)
        proposal = selectors.proposal_get(user=request.user, proposal_id=proposal.pk)
        return Response(proposal_data(proposal), status=status.HTTP_201_CREATED)


class CirculationCreateApi(APIView):
    """POST: a new draft 供覧 (circulation) to the given recipients (201); submit it like a
    proposal; each recipient confirms with ``tasks/{id}/approve/`` (their step becomes seen)."""

    @extend_schema_serializer(component_name="CirculationCreateInput")
    class Input(serializers.Serializer):
        title = serializers.CharField(max_length=200, validators=[validate_title])
        body = serializers.CharField(
            required=False, allow_blank=True, default="", validators=[validate_text]
        )
        recipients = serializers.ListField(
            child=serializers.CharField(max_length=150), min_length=1, max_length=100
        )

    @extend_schema(request=Input, responses={201: ProposalOutput})
    def post(self, request: Request) -> Response:
        serializer = self.Input(data=request.data)
        serializer.is_valid(raise_exception=True)
        proposal = services.circulation_create(actor=request.user, **serializer.validated_data)
        proposal = selectors.proposal_get(user=request.user, proposal_id=proposal.pk)
        return Response(proposal_data(proposal), status=status.HTTP_201_CREATED)


def _reviewer_args(reviewers: dict | None) -> dict[str, Any]:
    """``{"approve": [...], "consult": [...]}`` → the services' ``extra_*`` people; a kind left
    out is not passed (an update keeps it). Unknown or inactive usernames → 400 naming them."""
    if reviewers is None:
        return {}
    args: dict[str, Any] = {}
    for key, arg in (("approve", "extra_approvers"), ("consult", "extra_consultees")):
        if key in reviewers:
            args[arg] = services.reviewers_by_username(reviewers[key])
    return args


class ProposalDetailApi(APIView):
    """GET: a proposal I may see, with its route and its history (404 otherwise).
    PATCH: change my draft or returned proposal (its route preview is recomputed)."""

    @extend_schema_serializer(component_name="ProposalUpdateInput")
    class Input(serializers.Serializer):
        title = serializers.CharField(max_length=200, required=False, validators=[validate_title])
        body = serializers.CharField(required=False, allow_blank=True, validators=[validate_text])
        category = serializers.CharField(max_length=30, required=False)
        amount = serializers.IntegerField(
            required=False, allow_null=True, min_value=0, validators=[validate_amount_yen]
        )
        recipients = serializers.ListField(
            child=serializers.CharField(max_length=150),
            min_length=1,
            max_length=100,
            required=False,
        )
        due_on = serializers.DateField(required=False, allow_null=True)
        binder_title = serializers.CharField(
            required=False, allow_blank=True, max_length=200, validators=[validate_text]
        )
        retention_years = serializers.ChoiceField(
            choices=Retention.values, required=False, allow_null=True
        )
        reviewers = ReviewersField(required=False)

    @extend_schema(responses={200: ProposalOutput})
    def get(self, request: Request, proposal_id: int) -> Response:
        response = _reloaded(request, proposal_id)
        # Read through the API: the principal's 後閲 items on it may now be acknowledged.
        services.post_reviews_mark_opened(actor=request.user, proposal_id=proposal_id)
        return response

    @extend_schema(request=Input, responses={200: ProposalOutput})
    def patch(self, request: Request, proposal_id: int) -> Response:
        serializer = self.Input(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.update(_reviewer_args(data.pop("reviewers", None)))
        proposal = selectors.proposal_get(user=request.user, proposal_id=proposal_id)
        services.proposal_update(actor=request.user, proposal=proposal, **data)
        return _reloaded(request, proposal_id)


class ProposalPdfApi(APIView):
    """GET: the 決裁文書 (起案用紙 before the decision) as a PDF, for those who may see it."""

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    def get(self, request: Request, proposal_id: int) -> HttpResponse:
        proposal = selectors.proposal_get(user=request.user, proposal_id=proposal_id)
        data = render_decision_pdf(selectors.proposal_document(proposal))
        response = HttpResponse(data, content_type="application/pdf")
        # An ASCII file name: the document number may not be set yet, and is Japanese.
        response["Content-Disposition"] = f'inline; filename="proposal-{proposal.pk}.pdf"'
        return response


class ProposalIssueLetterApi(APIView):
    """GET: the 施行文書 (DOCX) of an approved proposal; 409 before the decision."""

    DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

    @extend_schema_serializer(component_name="IssueLetterQuery")
    class Query(serializers.Serializer):
        addressee = serializers.CharField(max_length=200, validators=[validate_title])
        seal = serializers.ChoiceField(choices=["omitted", "requested"], default="omitted")

    @extend_schema(parameters=[Query], responses={(200, DOCX): OpenApiTypes.BINARY})
    def get(self, request: Request, proposal_id: int) -> HttpResponse:
        query = self.Query(data=request.query_params)
        query.is_valid(raise_exception=True)
        proposal = selectors.proposal_get(user=request.user, proposal_id=proposal_id)
        letter = selectors.proposal_issue_letter(
            proposal, **query.validated_data, issued_on=timezone.localdate()
        )
        template = selectors.letter_template_bytes()
        content = (
            render_letter_from_template(letter, template)
            if template
            else render_issue_letter(letter)
        )
        response = HttpResponse(content, content_type=self.DOCX)
        response["Content-Disposition"] = (
            f'attachment; filename="proposal-{proposal.pk}-letter.docx"'
        )
        return response


def _proposal_action(request: Request, proposal_id: int, service: Any) -> Response:
    """Run a drafter's action on a proposal I may see (404 otherwise); answer with it."""
    proposal = selectors.proposal_get(user=request.user, proposal_id=proposal_id)
    service(actor=request.user, proposal=proposal)
    return _reloaded(request, proposal_id)


class ProposalSubmitApi(APIView):
    """POST: draft/returned → in_review (a new round)."""

    @extend_schema(request=None, responses={200: ProposalOutput})
    def post(self, request: Request, proposal_id: int) -> Response:
        return _proposal_action(request, proposal_id, services.proposal_submit)


class ProposalWithdrawApi(APIView):
    """POST: 引戻し — back to draft; the drafter only, before the decision."""

    @extend_schema(request=None, responses={200: ProposalOutput})
    def post(self, request: Request, proposal_id: int) -> Response:
        return _proposal_action(request, proposal_id, services.proposal_withdraw)


class ProposalCancelApi(APIView):
    """POST: 取下げ — cancelled, kept on record; the drafter only."""

    @extend_schema(request=None, responses={200: ProposalOutput})
    def post(self, request: Request, proposal_id: int) -> Response:
        return _proposal_action(request, proposal_id, services.proposal_cancel)


class ProposalApproveAheadApi(APIView):
    """POST: 引上げ承認 — my later step approves ahead of absent earlier approvers."""

    @extend_schema(request=TaskActionInput, responses={200: ProposalOutput})
    def post(self, request: Request, proposal_id: int) -> Response:
        serializer = TaskActionInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        proposal = selectors.proposal_get(user=request.user, proposal_id=proposal_id)
        services.task_approve_ahead(
            actor=request.user, proposal=proposal, **serializer.validated_data
        )
        return _reloaded(request, proposal_id)


# --- tasks ------------------------------------------------------------------------------------


class TaskListApi(APIView):
    """GET: my pending tasks, including those I may act on as a deputy (``acting_for``)."""

    @extend_schema_serializer(component_name="Task")
    class Output(serializers.Serializer):
        id = serializers.IntegerField()
        proposal = serializers.IntegerField()
        title = serializers.CharField()
        kind = serializers.CharField()
        order = serializers.IntegerField()
        approver = serializers.CharField()
        acting_for = serializers.CharField(allow_null=True)
        activated_at = serializers.DateTimeField(allow_null=True)

    @extend_schema(responses={200: Output(many=True)})
    def get(self, request: Request) -> Response:
        rows = [
            {
                "id": step.pk,
                "proposal": step.proposal_id,
                "title": step.proposal.title,
                "kind": step.kind,
                "order": step.order,
                "approver": _username(step.approver),
                "acting_for": _username(principal),
                "activated_at": step.activated_at,
            }
            for step, principal in selectors.task_list_for_user(user=request.user)
        ]
        return Response(self.Output(rows, many=True).data)


def _task_action(request: Request, task_id: int, service: Any) -> Response:
    """Run a task action's service on the task's step and answer with the proposal."""
    serializer = TaskActionInput(data=request.data)
    serializer.is_valid(raise_exception=True)
    step = selectors.task_get(task_id=task_id)
    try:
        acted = service(actor=request.user, step=step, **serializer.validated_data)
    except PermissionRefused:
        # Not mine nor my principal's: 403 only to someone who may see the proposal at all;
        # to anyone else the task does not exist. Asked only on refusal: approvals stay cheap.
        selectors.proposal_get(user=request.user, proposal_id=step.proposal_id)
        raise
    # The service let the caller act on this task, so the proposal is theirs to see; it held the
    # proposal's row lock and left it current in memory: the answer starts from it, not re-read.
    return Response(proposal_data(acted.proposal))


class TaskApproveApi(APIView):
    """POST: approve (回議), agree (合議) or decide (決裁); 409 once the task is done."""

    @extend_schema(request=TaskActionInput, responses={200: ProposalOutput})
    def post(self, request: Request, task_id: int) -> Response:
        return _task_action(request, task_id, services.task_approve)


class TaskSendBackApi(APIView):
    """POST: 差戻し to the drafter; a comment is required."""

    @extend_schema(request=TaskActionInput, responses={200: ProposalOutput})
    def post(self, request: Request, task_id: int) -> Response:
        return _task_action(request, task_id, services.task_send_back)


class TaskRejectApi(APIView):
    """POST: 否決 by the final approver."""

    @extend_schema(request=TaskActionInput, responses={200: ProposalOutput})
    def post(self, request: Request, task_id: int) -> Response:
        return _task_action(request, task_id, services.task_reject)


# --- delegations and 後閲 ---------------------------------------------------------------------


class DelegationCreateApi(APIView):
    """POST: I name my deputy (代決) for a period."""

    @extend_schema_serializer(component_name="DelegationCreateInput")
    class Input(serializers.Serializer):
        deputy = serializers.CharField(max_length=150)
        start = serializers.DateTimeField()
        end = serializers.DateTimeField()

    @extend_schema_serializer(component_name="Delegation")
    class Output(serializers.Serializer):
        id = serializers.IntegerField()
        principal = serializers.CharField()
        deputy = serializers.CharField()
        start = serializers.DateTimeField()
        end = serializers.DateTimeField()

    @extend_schema(request=Input, responses={201: Output})
    def post(self, request: Request) -> Response:
        serializer = self.Input(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        delegation = directory_services.delegation_create(
            actor=request.user,
            deputy_username=data["deputy"],
            start_at=data["start"],
            end_at=data["end"],
        )
        out = {
            "id": delegation.pk,
            "principal": _username(delegation.principal),
            "deputy": _username(delegation.deputy),
            "start": delegation.start_at,
            "end": delegation.end_at,
        }
        return Response(self.Output(out).data, status=status.HTTP_201_CREATED)


class DelegationApi(APIView):
    """DELETE: the principal revokes their delegation (204); 403 for the deputy, 404 for anyone
    else, 409 when already revoked."""

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request, delegation_id: int) -> Response:
        delegation = selectors.delegation_get(user=request.user, delegation_id=delegation_id)
        directory_services.delegation_revoke(actor=request.user, delegation=delegation)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_serializer(component_name="PostReview")
class PostReviewOutput(serializers.Serializer):
    id = serializers.IntegerField()
    proposal = serializers.IntegerField()
    title = serializers.CharField()
    step = serializers.IntegerField()
    kind = serializers.CharField()
    action = serializers.CharField()
    acted_by = serializers.CharField()
    acted_at = serializers.DateTimeField(allow_null=True)
    comment = serializers.CharField()
    acknowledged_at = serializers.DateTimeField(allow_null=True)


def _post_review_data(item: PostReview) -> dict[str, Any]:
    step = item.step
    return PostReviewOutput(
        {
            "id": item.pk,
            "proposal": step.proposal_id,
            "title": step.proposal.title,
            "step": step.pk,
            "kind": step.kind,
            "action": step.state,
            "acted_by": _username(step.acted_by),
            "acted_at": step.acted_at,
            "comment": step.comment,
            "acknowledged_at": item.acknowledged_at,
        }
    ).data


class PostReviewListApi(APIView):
    """GET: my 後閲 queue (``?all=1`` includes acknowledged items)."""

    @extend_schema(responses={200: PostReviewOutput(many=True)})
    def get(self, request: Request) -> Response:
        include = request.query_params.get("all", "").lower() in {"1", "true", "yes"}
        items = selectors.post_review_list_for_user(user=request.user, include_acknowledged=include)
        return Response([_post_review_data(item) for item in items])


class PostReviewAckApi(APIView):
    """POST: acknowledge one of my 後閲 items; 409 when already acknowledged."""

    @extend_schema(request=None, responses={200: PostReviewOutput})
    def post(self, request: Request, post_review_id: int) -> Response:
        item = selectors.post_review_get(user=request.user, post_review_id=post_review_id)
        item = services.post_review_ack(actor=request.user, post_review=item)
        item = selectors.post_review_get(user=request.user, post_review_id=item.pk)
        return Response(_post_review_data(item))
