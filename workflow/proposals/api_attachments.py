"""Attachments of a proposal under /api/v1/proposals/{id}/attachments/ (CONTRACT.md "Approval").

Thin: the proposal must be visible (404), the service checks the drafter (403) and the state
(409: frozen while in review and after the decision); files go through the documents' upload
checks (413 before the body is read, 400 for a file that is not what it says).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.exceptions import ValidationFailed
from audit.validators import validate_db_id, validate_title
from documents.api.uploads import refuse_oversize_body, uploaded_file
from documents.models import Classification
from workflow.proposals import selectors, services


@extend_schema_serializer(component_name="ProposalAttachment")
class AttachmentOutput(serializers.Serializer):
    id = serializers.IntegerField()
    document = serializers.IntegerField()
    title = serializers.CharField()
    version = serializers.IntegerField()
    sha256 = serializers.CharField()
    size = serializers.IntegerField()
    content_type = serializers.CharField()
    frozen = serializers.BooleanField(
        help_text="True when the version is the one a submitted round asked about."
    )


def _answer(request: Request, proposal_id: int, attachment_id: int, code: int) -> Response:
    proposal = selectors.proposal_get(user=request.user, proposal_id=proposal_id)
    for item in selectors.proposal_attachments(proposal):
        if item["id"] == attachment_id:
            return Response(AttachmentOutput(item).data, status=code)
    raise AssertionError("the attachment just written is not listed")


class ProposalAttachmentListApi(APIView):
    """GET: the attachments (while editable the current versions, else the round's frozen set).
    POST multipart ``file`` (``title``?, ``classification``?) uploads and attaches a file; POST
    JSON ``{"document": id}`` attaches a document of the records I may see."""

    parser_classes = [MultiPartParser, JSONParser]

    @extend_schema_serializer(component_name="ProposalAttachmentUploadInput")
    class UploadInput(serializers.Serializer):
        file = serializers.FileField()
        title = serializers.CharField(
            max_length=200, required=False, allow_blank=True, validators=[validate_title]
        )
        classification = serializers.ChoiceField(
            choices=Classification.choices, required=False, allow_blank=True
        )

    @extend_schema_serializer(component_name="ProposalAttachmentLinkInput")
    class LinkInput(serializers.Serializer):
        document = serializers.IntegerField(validators=[validate_db_id])

    @extend_schema(responses={200: AttachmentOutput(many=True)})
    def get(self, request: Request, proposal_id: int) -> Response:
        proposal = selectors.proposal_get(user=request.user, proposal_id=proposal_id)
        return Response(AttachmentOutput(selectors.proposal_attachments(proposal), many=True).data)

    @extend_schema(
        request={"multipart/form-data": UploadInput, "application/json": LinkInput},
        responses={201: AttachmentOutput},
    )
    def post(self, request: Request, proposal_id: int) -> Response:
        refuse_oversize_body(request)
        proposal = selectors.proposal_get(user=request.user, proposal_id=proposal_id)
        if request.content_type.startswith("application/json"):
            link = self.LinkInput(data=request.data)
            link.is_valid(raise_exception=True)
            attachment = services.proposal_attachment_link(
                actor=request.user,
                proposal=proposal,
                document_id=link.validated_data["document"],
                request=request._request,
            )
        else:
            upload = uploaded_file(request)
            title = _text(request.data.get("title"), "title", 200)
            classification = _text(request.data.get("classification"), "classification", 20)
            if classification and classification not in Classification.values:
                raise ValidationFailed(
                    "classification: " + str(_("Not a classification of records."))
                )
            attachment = services.proposal_attachment_upload(
                actor=request.user,
                proposal=proposal,
                content=upload,
                name=upload.name,
                size_bytes=upload.size,
                title=title or None,
                classification=classification or None,
                request=request._request,
            )
        return _answer(request, proposal.pk, attachment.pk, status.HTTP_201_CREATED)


class ProposalAttachmentApi(APIView):
    """DELETE: detach (drafter, while draft or returned; 409 otherwise)."""

    @extend_schema(responses={204: None})
    def delete(self, request: Request, proposal_id: int, attachment_id: int) -> Response:
        proposal = selectors.proposal_get(user=request.user, proposal_id=proposal_id)
        services.proposal_attachment_remove(
            actor=request.user,
            proposal=proposal,
            attachment_id=attachment_id,
            request=request._request,
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class ProposalAttachmentVersionApi(APIView):
    """POST multipart ``file``: replace the attachment by a new version of its document."""

    parser_classes = [MultiPartParser]

    @extend_schema(
        request={"multipart/form-data": {"type": "object", "properties": {"file": {}}}},
        responses={201: AttachmentOutput},
    )
    def post(self, request: Request, proposal_id: int, attachment_id: int) -> Response:
        refuse_oversize_body(request)
        proposal = selectors.proposal_get(user=request.user, proposal_id=proposal_id)
        upload = uploaded_file(request)
        services.proposal_attachment_replace(
            actor=request.user,
            proposal=proposal,
            attachment_id=attachment_id,
            content=upload,
            name=upload.name,
            size_bytes=upload.size,
            request=request._request,
        )
        return _answer(request, proposal.pk, attachment_id, status.HTTP_201_CREATED)


def _text(value: Any, field: str, max_length: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > max_length:
        raise ValidationFailed(
            f"{field}: " + str(_("At most %(count)d characters.") % {"count": max_length})
        )
    return value.strip()
