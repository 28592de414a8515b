"""REST API of records (CONTRACT.md "Documents"). Thin: parse, call a selector or a service,
shape the answer. Visibility from the selectors (invisible → 404); permissions and states from
the services (403/409); bad input 400; too large 413; a file failing its hash check 500.
"""

from __future__ import annotations

from typing import Any

from django.http import FileResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.validators import id_param, validate_db_id, validate_title
from documents import selectors, services, validation
from documents.api.uploads import refuse_oversize_body, uploaded_file
from documents.models import Classification, Document

# --- shapes ------------------------------------------------------------------------------------


@extend_schema_serializer(component_name="DocumentCreated")
class DocumentCreatedOutput(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    sha256 = serializers.CharField()
    size = serializers.IntegerField()
    content_type = serializers.CharField()
    version = serializers.IntegerField()


@extend_schema_serializer(component_name="DocumentVersion")
class VersionOutput(serializers.Serializer):
    version = serializers.IntegerField()
    sha256 = serializers.CharField()
    size = serializers.IntegerField()
    content_type = serializers.CharField()
    file_name = serializers.CharField()
    uploaded_by = serializers.CharField()
    uploaded_at = serializers.DateTimeField()
    extraction = serializers.CharField()


@extend_schema_serializer(component_name="Document")
class DocumentOutput(DocumentCreatedOutput):
    classification = serializers.CharField()
    unit = serializers.CharField()
    binder = serializers.IntegerField(allow_null=True)
    fiscal_year = serializers.IntegerField()
    created_by = serializers.CharField()
    created_at = serializers.DateTimeField()
    disposed_at = serializers.DateTimeField(allow_null=True)
    versions = VersionOutput(many=True)


def created_data(document: Document, version: Any) -> dict[str, Any]:
    return {
        "id": document.pk,
        "title": document.title,
        "sha256": version.blob.sha256,
        "size": version.size_bytes,
        "content_type": version.content_type,
        "version": version.number,
    }


def _version_data(version: Any) -> dict[str, Any]:
    extraction = getattr(version, "extraction", None)
    return {
        "version": version.number,
        "sha256": version.blob.sha256,
        "size": version.size_bytes,
        "content_type": version.content_type,
        "file_name": version.original_name,
        "uploaded_by": version.uploaded_by.get_username(),
        "uploaded_at": version.uploaded_at,
        "extraction": extraction.status if extraction else "",
    }


def document_data(document: Document) -> dict[str, Any]:
    versions = selectors.document_versions(document)
    current = next(v for v in versions if v.pk == document.current_version_id)
    return {
        **created_data(document, current),
        "classification": document.classification,
        "unit": document.unit.name,
        "binder": document.binder_id,
        "fiscal_year": document.fiscal_year,
        "created_by": document.created_by.get_username(),
        "created_at": document.created_at,
        "disposed_at": document.disposed_at,
        "versions": [_version_data(v) for v in versions],
    }


# --- documents ---------------------------------------------------------------------------------


class DocumentCreateApi(APIView):
    """POST multipart ``file``, ``title``, ``binder``?, ``classification``? → 201."""

    parser_classes = [MultiPartParser, FormParser]

    class Input(serializers.Serializer):
        title = serializers.CharField(max_length=200, validators=[validate_title])
        binder = serializers.IntegerField(
            required=False, allow_null=True, validators=[validate_db_id]
        )
        classification = serializers.ChoiceField(
            choices=Classification.choices, required=False, allow_blank=True
        )

    @extend_schema(request={"multipart/form-data": Input}, responses={201: DocumentCreatedOutput})
    def post(self, request: Request) -> Response:
        refuse_oversize_body(request)
        serializer = self.Input(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        upload = uploaded_file(request)
        binder = None
        if data.get("binder"):
            binder = selectors.binder_get(user=request.user, binder_id=data["binder"])
        document = services.document_upload(
            actor=request.user,
            content=upload,
            name=upload.name,
            size_bytes=upload.size,
            title=data["title"],
            binder=binder,
            classification=data.get("classification") or None,
            request=request._request,
        )
        version = document.current_version
        return Response(created_data(document, version), status=status.HTTP_201_CREATED)


class DocumentDetailApi(APIView):
    @extend_schema(responses={200: DocumentOutput})
    def get(self, request: Request, document_id: int) -> Response:
        document = selectors.document_get(user=request.user, document_id=document_id)
        services.document_view_record(
            actor=request.user, document=document, request=request._request
        )
        return Response(DocumentOutput(document_data(document)).data)


class DocumentVersionCreateApi(APIView):
    """POST multipart ``file`` → 201 with the new version's number and hash."""

    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        request={"multipart/form-data": {"type": "object", "properties": {"file": {}}}},
        responses={201: DocumentCreatedOutput},
    )
    def post(self, request: Request, document_id: int) -> Response:
        refuse_oversize_body(request)
        document = selectors.document_get(user=request.user, document_id=document_id)
        upload = uploaded_file(request)
        version = services.document_add_version(
            actor=request.user,
            document=document,
            content=upload,
            name=upload.name,
            size_bytes=upload.size,
            request=request._request,
        )
        return Response(created_data(document, version), status=status.HTTP_201_CREATED)


# The families documents.validation accepts on upload (text/plain carries its charset).
_DOWNLOAD_TYPES = (
    validation.PDF,
    validation.DOCX,
    validation.XLSX,
    validation.PNG,
    validation.JPEG,
    "text/plain",
)


class DocumentDownloadApi(APIView):
    """GET ``?version=n`` (default: current): the bytes, verified against their SHA-256."""

    @extend_schema(
        parameters=[OpenApiParameter("version", int, required=False)],
        # The bytes are served as the type they were checked to be on upload.
        responses={(200, media_type): bytes for media_type in _DOWNLOAD_TYPES},
    )
    def get(self, request: Request, document_id: int) -> FileResponse:
        document = selectors.document_get(user=request.user, document_id=document_id)
        number = _int_param(request, "version")
        version = selectors.version_get(document=document, number=number)
        opened = services.version_open(
            actor=request.user, document=document, version=version, request=request._request
        )
        return version_response(opened)


def version_response(opened: services.OpenedVersion) -> FileResponse:
    """An attachment response; Django writes the RFC 5987 ``filename*`` for non-ASCII names."""
    version = opened.version
    response = FileResponse(
        opened.content,
        as_attachment=True,
        filename=version.original_name,
        content_type=version.content_type,
    )
    response["Content-Length"] = str(version.size_bytes)
    response["X-Content-SHA256"] = version.blob.sha256
    response["Cache-Control"] = "private, no-store"
    return response


def _int_param(request: Request, name: str) -> int | None:
    return id_param(request.query_params.get(name), name)


class DocumentFileApi(APIView):
    """POST ``{"binder"}``: file an existing document into a binder of its 課."""

    parser_classes = [JSONParser, FormParser]

    class Input(serializers.Serializer):
        binder = serializers.IntegerField(validators=[validate_db_id])

    @extend_schema(request=Input, responses={200: DocumentOutput})
    def post(self, request: Request, document_id: int) -> Response:
        document = selectors.document_get(user=request.user, document_id=document_id)
        serializer = self.Input(data=request.data)
        serializer.is_valid(raise_exception=True)
        binder = selectors.binder_get(
            user=request.user, binder_id=serializer.validated_data["binder"]
        )
        services.document_file(
            actor=request.user, document=document, binder=binder, request=request._request
        )
        document.refresh_from_db()
        return Response(DocumentOutput(document_data(document)).data)
