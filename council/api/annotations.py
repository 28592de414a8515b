"""Private annotations: the caller's own only (everyone else, administrators included, 404)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.exceptions import ValidationFailed
from council import selectors, services
from council.api.common import parse_id, require_council
from council.api.materials import visible_page
from council.api.shapes import (
    AnnotationConflictOutput,
    AnnotationExportOutput,
    AnnotationInput,
    AnnotationOutput,
    annotation_out,
)


class AnnotationApi(APIView):
    """``GET``/``PUT …/pages/{n}/annotation/``: the caller's own annotation of that page only."""

    parser_classes = [JSONParser]

    @extend_schema(responses={200: AnnotationOutput})
    def get(self, request: Request, material_id: int, number: int) -> Response:
        material, _version, page = visible_page(request, material_id, number)
        annotation = selectors.annotation_get_mine(user=request.user, material=material, page=page)
        return Response(annotation_out(annotation))

    @extend_schema(
        request=AnnotationInput,
        responses={
            200: AnnotationOutput,
            201: AnnotationOutput,
            409: AnnotationConflictOutput,
        },
    )
    def put(self, request: Request, material_id: int, number: int) -> Response:
        material, _version, page = visible_page(request, material_id, number)
        data = request.data if isinstance(request.data, dict) else None
        if data is None:
            raise ValidationFailed(_("The annotation is not in the expected format."))
        annotation, outcome = services.annotation_put(
            user=request.user,
            material=material,
            page=page,
            data={k: data[k] for k in ("strokes", "notes", "bookmark") if k in data},
            client_updated_at=data.get("client_updated_at"),
        )
        if outcome == services.ANNOTATION_KEPT_OLDER:
            return Response(
                {
                    "detail": _(
                        "A newer version of this page's notes is already stored; yours was kept "
                        "with the notes that could not be placed."
                    ),
                    "current": annotation_out(annotation),
                },
                status=status.HTTP_409_CONFLICT,
            )
        created = outcome == services.ANNOTATION_CREATED
        return Response(
            annotation_out(annotation),
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class MyAnnotationsApi(APIView):
    """``GET council/materials/{id}/annotations/``: all my annotations of the current version,
    unplaced ones (差し替え) included."""

    @extend_schema(responses={200: AnnotationOutput(many=True)})
    def get(self, request: Request, material_id: int) -> Response:
        require_council(request.user)
        material = selectors.material_get(user=request.user, material_id=parse_id(material_id))
        annotations = selectors.annotations_mine(user=request.user, material=material)
        return Response([annotation_out(a) for a in annotations])


class AnnotationExportApi(APIView):
    """``GET council/annotations/export/``: every annotation I own, as JSON (owner only)."""

    @extend_schema(responses={200: AnnotationExportOutput(many=True)})
    def get(self, request: Request) -> Response:
        require_council(request.user)
        annotations = selectors.annotations_mine(user=request.user)
        response = Response(
            [{**annotation_out(a), "material_title": a.material.title} for a in annotations]
        )
        response["Content-Disposition"] = 'attachment; filename="annotations.json"'
        return response
