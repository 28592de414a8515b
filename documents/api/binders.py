"""REST API of binders (簿冊), disposal, transfer (移管) and the 収受/発送 registers."""

from __future__ import annotations

from typing import Any

from django.http import FileResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.exceptions import NotFound
from audit.permissions import can_view_audit_log
from audit.validators import (
    date_param,
    id_param,
    validate_date_in_range,
    validate_db_id,
    validate_text,
    validate_title,
    year_param,
)
from directory.models import OrgUnit
from documents import permissions, registers, selectors, services, transfer
from documents.models import Binder, Classification, DisposalRecord, RegisterEntry, Retention


@extend_schema_serializer(component_name="Binder")
class BinderOutput(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    unit = serializers.CharField()
    unit_id = serializers.IntegerField()
    fiscal_year = serializers.IntegerField()
    retention = serializers.IntegerField(help_text="years; 0 = permanent (永年)")
    classification = serializers.CharField()
    status = serializers.CharField()
    closed_on = serializers.DateField(allow_null=True)
    disposal_on = serializers.DateField(allow_null=True)
    is_legal_hold = serializers.BooleanField()
    legal_hold_reason = serializers.CharField()


def binder_data(binder: Binder) -> dict[str, Any]:
    return {
        "id": binder.pk,
        "title": binder.title,
        "unit": binder.unit.name,
        "unit_id": binder.unit_id,
        "fiscal_year": binder.fiscal_year,
        "retention": binder.retention,
        "classification": binder.classification,
        "status": binder.status,
        "closed_on": binder.closed_on,
        "disposal_on": binder.disposal_on,
        "is_legal_hold": binder.is_legal_hold,
        "legal_hold_reason": binder.legal_hold_reason,
    }


class BinderListCreateApi(APIView):
    class Input(serializers.Serializer):
        title = serializers.CharField(max_length=200, validators=[validate_title])
        fiscal_year = serializers.IntegerField(min_value=1900, max_value=2999)
        retention = serializers.ChoiceField(choices=Retention.choices)
        classification = serializers.ChoiceField(
            choices=Classification.choices, default=Classification.INTERNAL
        )
        unit = serializers.IntegerField(required=False, validators=[validate_db_id])

    @extend_schema(
        parameters=[
            OpenApiParameter("unit", int, required=False),
            OpenApiParameter("fiscal_year", int, required=False),
        ],
        responses={200: BinderOutput(many=True)},
    )
    def get(self, request: Request) -> Response:
        binders = selectors.binder_list_visible(user=request.user)
        params = request.query_params
        if (unit := id_param(params.get("unit"), "unit")) is not None:
            binders = binders.filter(unit_id=unit)
        if (year := year_param(params.get("fiscal_year"), "fiscal_year")) is not None:
            binders = binders.filter(fiscal_year=year)
        return Response([binder_data(b) for b in binders.order_by("-fiscal_year", "title")])

    @extend_schema(request=Input, responses={201: BinderOutput})
    def post(self, request: Request) -> Response:
        serializer = self.Input(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if data.get("unit"):
            unit = OrgUnit.objects.filter(pk=data["unit"]).first()
            if unit is None:
                raise NotFound(_("Not found."))
        else:
            unit = services.division_of(request.user)
        binder = services.binder_create(
            actor=request.user,
            unit=unit,
            fiscal_year=data["fiscal_year"],
            title=data["title"],
            retention_years=data["retention"],
            classification=data["classification"],
            request=request._request,
        )
        return Response(binder_data(binder), status=status.HTTP_201_CREATED)


class BinderDetailApi(APIView):
    @extend_schema(responses={200: BinderOutput})
    def get(self, request: Request, binder_id: int) -> Response:
        binder = selectors.binder_get(user=request.user, binder_id=binder_id)
        documents = selectors.binder_documents(user=request.user, binder=binder)
        data = binder_data(binder) | {
            "documents": [
                {"id": d.pk, "title": d.title, "classification": d.classification}
                for d in documents.order_by("pk")
            ],
            "proposals": [
                {"proposal": p.proposal_id, "document_number": p.document_number, "title": p.title}
                for p in binder.proposals.all()
            ],
        }
        return Response(data)


class BinderCloseApi(APIView):
    class Input(serializers.Serializer):
        closed_on = serializers.DateField(required=False, validators=[validate_date_in_range])

    @extend_schema(request=Input, responses={200: BinderOutput})
    def post(self, request: Request, binder_id: int) -> Response:
        binder = selectors.binder_get(user=request.user, binder_id=binder_id)
        serializer = self.Input(data=request.data)
        serializer.is_valid(raise_exception=True)
        binder = services.binder_close(
            actor=request.user,
            binder=binder,
            closed_on=serializer.validated_data.get("closed_on"),
            request=request._request,
        )
        return Response(binder_data(binder))


class BinderLegalHoldApi(APIView):
    class Input(serializers.Serializer):
        is_held = serializers.BooleanField()
        reason = serializers.CharField(
            max_length=500, required=False, allow_blank=True, validators=[validate_text]
        )

    @extend_schema(request=Input, responses={200: BinderOutput})
    def post(self, request: Request, binder_id: int) -> Response:
        binder = selectors.binder_get(user=request.user, binder_id=binder_id)
        serializer = self.Input(data=request.data)
        serializer.is_valid(raise_exception=True)
        binder = services.binder_set_legal_hold(
            actor=request.user,
            binder=binder,
            is_held=serializer.validated_data["is_held"],
            reason=serializer.validated_data.get("reason", ""),
            request=request._request,
        )
        return Response(binder_data(binder))


class BinderProposalFileApi(APIView):
    class Input(serializers.Serializer):
        proposal = serializers.IntegerField(min_value=1, validators=[validate_db_id])

    @extend_schema(request=Input, responses={201: None})
    def post(self, request: Request, binder_id: int) -> Response:
        binder = selectors.binder_get(user=request.user, binder_id=binder_id)
        serializer = self.Input(data=request.data)
        serializer.is_valid(raise_exception=True)
        filed = services.proposal_file(
            actor=request.user,
            binder=binder,
            proposal_id=serializer.validated_data["proposal"],
            request=request._request,
        )
        data = {
            "proposal": filed.proposal_id,
            "document_number": filed.document_number,
            "title": filed.title,
        }
        return Response(data, status=status.HTTP_201_CREATED)


class BinderTransferApi(APIView):
    """GET: the transfer (移管) package, a zip with ``manifest.json`` and the files."""

    @extend_schema(responses={(200, "application/zip"): bytes})
    def get(self, request: Request, binder_id: int) -> FileResponse:
        binder = selectors.binder_get(user=request.user, binder_id=binder_id)
        package = transfer.binder_transfer_package(
            actor=request.user, binder=binder, request=request._request
        )
        return FileResponse(
            package,
            as_attachment=True,
            filename=transfer.package_file_name(binder),
            content_type="application/zip",
        )


@extend_schema_serializer(component_name="DisposalRecord")
class DisposalOutput(serializers.Serializer):
    id = serializers.IntegerField()
    binder = serializers.IntegerField()
    approval_reference = serializers.CharField()
    approved_by = serializers.ListField(child=serializers.CharField())
    disposed_by = serializers.CharField()
    disposed_at = serializers.DateTimeField()
    items = serializers.ListField(child=serializers.DictField())


def disposal_data(record: DisposalRecord) -> dict[str, Any]:
    return {
        "id": record.pk,
        "binder": record.binder_id,
        "approval_reference": record.approval_reference,
        "approved_by": record.approved_by,
        "disposed_by": record.disposed_by.get_username(),
        "disposed_at": record.disposed_at,
        "items": record.items,
    }


class BinderDisposeApi(APIView):
    """POST ``{"approval"}``: carry out an approved disposal (403 without one)."""

    class Input(serializers.Serializer):
        approval = serializers.CharField(max_length=100, required=False, allow_blank=True)

    @extend_schema(request=Input, responses={201: DisposalOutput})
    def post(self, request: Request, binder_id: int) -> Response:
        binder = selectors.binder_get(user=request.user, binder_id=binder_id)
        serializer = self.Input(data=request.data)
        serializer.is_valid(raise_exception=True)
        record = services.binder_dispose(
            actor=request.user,
            binder=binder,
            approval_reference=serializer.validated_data.get("approval", ""),
            request=request._request,
        )
        return Response(disposal_data(record), status=status.HTTP_201_CREATED)


class DisposalDueApi(APIView):
    """GET ``?on=YYYY-MM-DD&unit=id``: binders past their disposal date (my 課s; auditors all)."""

    @extend_schema(
        parameters=[
            OpenApiParameter("on", str, required=False),
            OpenApiParameter("unit", int, required=False),
        ],
        responses={200: BinderOutput(many=True)},
    )
    def get(self, request: Request) -> Response:
        on = date_param(request.query_params.get("on"), "on") or timezone.localdate()
        binders = selectors.binders_due_for_disposal(None, on, include_held=True)
        if not can_view_audit_log(request.user):
            binders = binders.filter(unit_id__in=permissions.member_unit_ids(request.user))
        if (unit := id_param(request.query_params.get("unit"), "unit")) is not None:
            binders = binders.filter(unit_id=unit)
        return Response([binder_data(b) for b in binders])


@extend_schema_serializer(component_name="RegisterEntry")
class RegisterOutput(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    unit = serializers.CharField()
    fiscal_year = serializers.IntegerField()
    number = serializers.IntegerField()
    on = serializers.DateField()
    counterpart = serializers.CharField()
    subject = serializers.CharField()
    document = serializers.IntegerField(allow_null=True)
    proposal = serializers.IntegerField(allow_null=True)


def register_data(entry: RegisterEntry) -> dict[str, Any]:
    return {
        "id": entry.pk,
        "kind": entry.kind,
        "unit": entry.unit.name,
        "fiscal_year": entry.fiscal_year,
        "number": entry.number,
        "on": entry.on,
        "counterpart": entry.counterpart,
        "subject": entry.subject,
        "document": entry.document_id,
        "proposal": entry.proposal_id,
    }


class RegisterApi(APIView):
    """GET/POST ``registers/incoming/`` (収受) and ``registers/outgoing/`` (発送)."""

    kind: str = RegisterEntry.Kind.INCOMING

    class Input(serializers.Serializer):
        on = serializers.DateField(required=False, validators=[validate_date_in_range])
        counterpart = serializers.CharField(max_length=200, validators=[validate_title])
        subject = serializers.CharField(max_length=200, validators=[validate_title])
        document = serializers.IntegerField(
            required=False, allow_null=True, validators=[validate_db_id]
        )
        proposal = serializers.IntegerField(
            required=False, allow_null=True, min_value=1, validators=[validate_db_id]
        )

    @extend_schema(responses={200: RegisterOutput(many=True)})
    def get(self, request: Request) -> Response:
        fy = year_param(request.query_params.get("fiscal_year"), "fiscal_year")
        entries = selectors.register_list(user=request.user, kind=self.kind, fiscal_year=fy)
        return Response([register_data(e) for e in entries[:500]])

    @extend_schema(request=Input, responses={201: RegisterOutput})
    def post(self, request: Request) -> Response:
        serializer = self.Input(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        document = None
        if data.get("document"):
            document = selectors.document_get(user=request.user, document_id=data["document"])
        entry = registers.register_entry_create(
            actor=request.user,
            kind=self.kind,
            on=data.get("on") or timezone.localdate(),
            counterpart=data["counterpart"],
            subject=data["subject"],
            document=document,
            proposal_id=data.get("proposal"),
            request=request._request,
        )
        return Response(register_data(entry), status=status.HTTP_201_CREATED)


class IncomingRegisterApi(RegisterApi):
    kind = RegisterEntry.Kind.INCOMING


class OutgoingRegisterApi(RegisterApi):
    kind = RegisterEntry.Kind.OUTGOING
