"""Materials: upload, 差し替え, read status (既読), search and page images."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.exceptions import PermissionRefused, ValidationFailed
from council import permissions, rendering, selectors, services
from council.api.common import parse_id, parse_page, require_council
from council.api.meetings import Q_PARAMETER
from council.api.shapes import (
    MaterialCreatedOutput,
    MaterialCreateInput,
    MaterialDetailOutput,
    MaterialOutput,
    MaterialVersionInput,
    ReadStatusOutput,
    SearchHitsOutput,
    material_out,
)
from documents.api.uploads import refuse_oversize_body

SIZE_PARAMETER = OpenApiParameter(
    "size", str, enum=["page", "thumb"], required=False, description="page [default] or thumb"
)


def _file(request: Request) -> Any:
    upload = request.FILES.get("file")
    if upload is None:
        raise ValidationFailed("file: " + str(_("A file is required.")))
    return upload


class MaterialCreateApi(APIView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(request=MaterialCreateInput, responses={201: MaterialCreatedOutput})
    def post(self, request: Request) -> Response:
        if not permissions.can_manage(request.user):
            raise PermissionRefused(_("Only the council secretariat may upload materials."))
        refuse_oversize_body(request)
        meeting = selectors.meeting_get(
            user=request.user, meeting_id=parse_id(request.data.get("meeting"))
        )
        agenda_item = None
        if request.data.get("agenda_item"):
            agenda_item = meeting.agenda.filter(pk=parse_id(request.data["agenda_item"])).first()
            if agenda_item is None:
                raise ValidationFailed(_("The agenda item belongs to another meeting."))
        upload = _file(request)
        material = services.material_upload(
            actor=request.user,
            meeting=meeting,
            title=request.data.get("title"),
            content=upload,
            name=upload.name,
            size_bytes=upload.size,
            publish_at=request.data.get("publish_at"),
            audience=request.data.get("audience") or "all",
            agenda_item=agenda_item,
            request=request,
        )
        return Response(
            {"id": material.pk, "pages": material.current_version.page_count},
            status=status.HTTP_201_CREATED,
        )


class MaterialDetailApi(APIView):
    @extend_schema(responses={200: MaterialDetailOutput})
    def get(self, request: Request, material_id: int) -> Response:
        require_council(request.user)
        material = selectors.material_get(user=request.user, material_id=parse_id(material_id))
        out = material_out(material, user=request.user)
        if permissions.can_manage(request.user):
            out["read_status"] = selectors.read_status(material=material)
        return Response(out)


class MaterialVersionCreateApi(APIView):
    """差し替え: POST multipart ``file`` → 201 the material with its new version."""

    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(request=MaterialVersionInput, responses={201: MaterialOutput})
    def post(self, request: Request, material_id: int) -> Response:
        require_council(request.user)
        material = selectors.material_get(user=request.user, material_id=parse_id(material_id))
        if not permissions.can_manage(request.user):
            raise PermissionRefused(_("Only the council secretariat may replace materials."))
        refuse_oversize_body(request)
        upload = _file(request)
        services.material_replace(
            actor=request.user,
            material=material,
            content=upload,
            name=upload.name,
            size_bytes=upload.size,
            request=request,
        )
        material.refresh_from_db()
        return Response(material_out(material, user=request.user), status=status.HTTP_201_CREATED)


class MaterialReadStatusApi(APIView):
    @extend_schema(responses={200: ReadStatusOutput})
    def get(self, request: Request, material_id: int) -> Response:
        require_council(request.user)
        material = selectors.material_get(user=request.user, material_id=parse_id(material_id))
        if not permissions.can_manage(request.user):
            raise PermissionRefused(_("Only the council secretariat sees who has read what."))
        return Response(selectors.read_status(material=material))


class MaterialSearchApi(APIView):
    @extend_schema(parameters=[Q_PARAMETER], responses={200: SearchHitsOutput})
    def get(self, request: Request, material_id: int) -> Response:
        require_council(request.user)
        material = selectors.material_get(user=request.user, material_id=parse_id(material_id))
        hits = selectors.material_search(material=material, q=request.query_params.get("q", ""))
        return Response({"hits": hits})


def visible_page(request: Request, material_id: int, number: int):
    require_council(request.user)
    material = selectors.material_get(user=request.user, material_id=parse_id(material_id))
    version = selectors.version_get(material=material)
    page = parse_page(number)
    selectors.page_check(version, page)
    return material, version, page


class MaterialPageImageApi(APIView):
    """``GET …/pages/{n}/`` (``?size=thumb`` for a thumbnail): WebP, watermarked for the reader."""

    @extend_schema(
        parameters=[SIZE_PARAMETER], responses={(200, "image/webp"): OpenApiTypes.BINARY}
    )
    def get(self, request: Request, material_id: int, number: int) -> HttpResponse:
        material, version, page = visible_page(request, material_id, number)
        size = request.query_params.get("size", "page")
        if size not in rendering.SIZES:
            raise ValidationFailed(_("size must be page or thumb."))
        person = getattr(request.user, "person", None)
        image = rendering.reader_page_image(
            sha256=version.pdf_sha256,
            key=version.pdf_storage_key,
            page=page,
            size=size,
            reader_id=request.user.pk,
            reader_name=(person.display_name if person else request.user.get_username()),
        )
        if size == "page" and not permissions.is_secretariat(request.user):
            from council.background import run_later

            # After the response: a reader never waits for a write (既読 follows within moments).
            run_later(_record_view, request.user.pk, material.pk, page)
        response = HttpResponse(image, content_type="image/webp")
        # Private: a shared cache must never keep one reader's watermarked (or embargoed) page.
        response["Cache-Control"] = "private, max-age=300"
        response["X-Content-Type-Options"] = "nosniff"
        return response


def _record_view(user_id: int, material_id: int, page: int) -> None:
    services.page_view_record(user_id=user_id, material_id=material_id, number=page)
