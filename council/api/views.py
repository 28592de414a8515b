"""REST API of the council module (CONTRACT.md "Council"). Thin: parse, call a selector or a
service, shape the answer. Invisible → 404 (selectors), not allowed → 403, state → 409,
bad input → 400, too large → 413.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.exceptions import NotFound, PermissionRefused, ValidationFailed
from council import permissions, rendering, selectors, services
from council.models import Annotation, Material, Meeting
from documents.api.uploads import refuse_oversize_body

MAX_DB_ID = 2**31 - 1


def _id(value: Any) -> int:
    """A path or body id; beyond the database's range it cannot exist (404)."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValidationFailed(_("Not a valid id.")) from None
    if not 0 < number <= MAX_DB_ID:
        raise NotFound(_("Not found."))
    return number


def _page(value: Any) -> int:
    number = int(value)
    if not 0 < number <= 100_000:
        raise NotFound(_("Not found."))
    return number


def _require_council(user: Any) -> None:
    """Only councilors and the secretariat use the module; anyone else: nothing to see (404)."""
    if not permissions.may_use_council(user):
        raise NotFound(_("Not found."))


# --- shapes ------------------------------------------------------------------------------------


@extend_schema_serializer(component_name="CouncilMeeting")
class MeetingOutput(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    starts_at = serializers.DateTimeField()
    committee = serializers.CharField(
        allow_null=True, help_text="the committee's name; null for a plenary meeting (本会議)"
    )
    session = serializers.IntegerField(allow_null=True, help_text="the session (会期) id")


def meeting_out(meeting: Meeting) -> dict:
    return {
        "id": meeting.pk,
        "title": meeting.title,
        "starts_at": meeting.starts_at.isoformat(),
        "committee": meeting.committee.name if meeting.committee_id else None,
        "session": meeting.session_id,
    }


def material_out(material: Material, *, user: Any, read: dict[int, int] | None = None) -> dict:
    version = material.current_version
    out = {
        "id": material.pk,
        "meeting": material.meeting_id,
        "title": material.title,
        "audience": material.audience_label,
        "publish_at": material.publish_at.isoformat(),
        "pages": version.page_count if version else 0,
        "version": version.number if version else 0,
        "changed_pages": version.changed_pages if version else [],
        "outline": version.outline if version else [],
        "agenda_item": material.agenda_item_id,
    }
    if permissions.can_manage(user) and version is not None:
        out["rendered"] = rendering.rendered_count(
            sha256=version.pdf_sha256, pages=version.page_count
        )
        if read is not None:
            out["read"] = read.get(material.pk, 0)
    return out


def annotation_out(annotation: Annotation) -> dict:
    return {
        "id": annotation.pk,
        "material": annotation.material_id,
        "version": annotation.version.number,
        "page": annotation.page,
        "original_page": annotation.original_page,
        "is_unplaced": annotation.is_unplaced,
        "page_changed": bool(
            annotation.page and annotation.page in (annotation.version.changed_pages or [])
        ),
        "strokes": annotation.data.get("strokes", []),
        "notes": annotation.data.get("notes", []),
        "bookmark": annotation.data.get("bookmark", False),
        "updated_at": annotation.updated_at.isoformat(),
        "client_updated_at": (
            annotation.client_updated_at.isoformat() if annotation.client_updated_at else None
        ),
    }


# --- meetings ----------------------------------------------------------------------------------


class MeetingListCreateApi(APIView):
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    class Input(serializers.Serializer):
        title = serializers.CharField(max_length=200)
        starts_at = serializers.DateTimeField()
        committee = serializers.CharField(required=False, allow_blank=True, allow_null=True)
        session = serializers.IntegerField(required=False, allow_null=True)

    def get(self, request: Request) -> Response:
        meetings = selectors.meeting_list_visible(user=request.user)
        return Response([meeting_out(m) for m in meetings])

    def post(self, request: Request) -> Response:
        if not permissions.can_manage(request.user):
            raise PermissionRefused(_("Only the council secretariat may create meetings."))
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        meeting = services.meeting_create(
            actor=request.user,
            title=data.validated_data["title"],
            starts_at=data.validated_data["starts_at"],
            committee=data.validated_data.get("committee") or None,
            session=data.validated_data.get("session"),
            request=request,
        )
        return Response(meeting_out(meeting), status=status.HTTP_201_CREATED)


class MeetingDetailApi(APIView):
    def get(self, request: Request, meeting_id: int) -> Response:
        _require_council(request.user)
        meeting = selectors.meeting_get(user=request.user, meeting_id=_id(meeting_id))
        materials = list(selectors.meeting_materials(user=request.user, meeting=meeting))
        read = selectors.read_counts(materials) if permissions.can_manage(request.user) else None
        return Response(
            {
                **meeting_out(meeting),
                "agenda": [
                    {
                        "id": a.pk,
                        "order": a.order,
                        "kind": a.kind,
                        "number": a.number,
                        "title": a.title,
                    }
                    for a in meeting.agenda.all()
                ],
                "materials": [material_out(m, user=request.user, read=read) for m in materials],
            }
        )


class MeetingSearchApi(APIView):
    def get(self, request: Request, meeting_id: int) -> Response:
        _require_council(request.user)
        meeting = selectors.meeting_get(user=request.user, meeting_id=_id(meeting_id))
        hits = selectors.meeting_search(
            user=request.user, meeting=meeting, q=request.query_params.get("q", "")
        )
        return Response({"hits": hits})


# --- materials ---------------------------------------------------------------------------------


def _file(request: Request) -> Any:
    upload = request.FILES.get("file")
    if upload is None:
        raise ValidationFailed("file: " + str(_("A file is required.")))
    return upload


class MaterialCreateApi(APIView):
    parser_classes = [MultiPartParser, FormParser]

    def post(self, request: Request) -> Response:
        if not permissions.can_manage(request.user):
            raise PermissionRefused(_("Only the council secretariat may upload materials."))
        refuse_oversize_body(request)
        meeting = selectors.meeting_get(
            user=request.user, meeting_id=_id(request.data.get("meeting"))
        )
        agenda_item = None
        if request.data.get("agenda_item"):
            agenda_item = meeting.agenda.filter(pk=_id(request.data["agenda_item"])).first()
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
    def get(self, request: Request, material_id: int) -> Response:
        _require_council(request.user)
        material = selectors.material_get(user=request.user, material_id=_id(material_id))
        out = material_out(material, user=request.user)
        if permissions.can_manage(request.user):
            out["read_status"] = selectors.read_status(material=material)
        return Response(out)


class MaterialVersionCreateApi(APIView):
    """差し替え: POST multipart ``file`` → 201 the material with its new version."""

    parser_classes = [MultiPartParser, FormParser]

    def post(self, request: Request, material_id: int) -> Response:
        _require_council(request.user)
        material = selectors.material_get(user=request.user, material_id=_id(material_id))
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
    def get(self, request: Request, material_id: int) -> Response:
        _require_council(request.user)
        material = selectors.material_get(user=request.user, material_id=_id(material_id))
        if not permissions.can_manage(request.user):
            raise PermissionRefused(_("Only the council secretariat sees who has read what."))
        return Response(selectors.read_status(material=material))


class MaterialSearchApi(APIView):
    def get(self, request: Request, material_id: int) -> Response:
        _require_council(request.user)
        material = selectors.material_get(user=request.user, material_id=_id(material_id))
        hits = selectors.material_search(material=material, q=request.query_params.get("q", ""))
        return Response({"hits": hits})


def _visible_page(request: Request, material_id: int, number: int):
    _require_council(request.user)
    material = selectors.material_get(user=request.user, material_id=_id(material_id))
    version = selectors.version_get(material=material)
    page = _page(number)
    selectors.page_check(version, page)
    return material, version, page


class MaterialPageImageApi(APIView):
    """``GET …/pages/{n}/`` (``?size=thumb`` for a thumbnail): WebP, watermarked for the reader."""

    def get(self, request: Request, material_id: int, number: int) -> HttpResponse:
        material, version, page = _visible_page(request, material_id, number)
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


class AnnotationApi(APIView):
    """``GET``/``PUT …/pages/{n}/annotation/``: the caller's own annotation of that page only."""

    parser_classes = [JSONParser]

    def get(self, request: Request, material_id: int, number: int) -> Response:
        material, _version, page = _visible_page(request, material_id, number)
        annotation = selectors.annotation_get_mine(user=request.user, material=material, page=page)
        return Response(annotation_out(annotation))

    def put(self, request: Request, material_id: int, number: int) -> Response:
        material, _version, page = _visible_page(request, material_id, number)
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

    def get(self, request: Request, material_id: int) -> Response:
        _require_council(request.user)
        material = selectors.material_get(user=request.user, material_id=_id(material_id))
        annotations = selectors.annotations_mine(user=request.user, material=material)
        return Response([annotation_out(a) for a in annotations])


class AnnotationExportApi(APIView):
    """``GET council/annotations/export/``: every annotation I own, as JSON (owner only)."""

    def get(self, request: Request) -> Response:
        _require_council(request.user)
        annotations = selectors.annotations_mine(user=request.user)
        response = Response(
            [{**annotation_out(a), "material_title": a.material.title} for a in annotations]
        )
        response["Content-Disposition"] = 'attachment; filename="annotations.json"'
        return response


class PresenterApi(APIView):
    """``GET`` the presenter's current page; ``POST`` ``{"material","page"}`` (presenter)."""

    parser_classes = [JSONParser]

    def get(self, request: Request, meeting_id: int) -> Response:
        _require_council(request.user)
        meeting = selectors.meeting_get(user=request.user, meeting_id=_id(meeting_id))
        from council.consumers import goto_for_user

        current = goto_for_user(request.user, meeting.presenter_material_id, meeting.presenter_page)
        return Response({"current": current})

    def post(self, request: Request, meeting_id: int) -> Response:
        _require_council(request.user)
        meeting = selectors.meeting_get(user=request.user, meeting_id=_id(meeting_id))
        material = selectors.material_get(
            user=request.user, material_id=_id(request.data.get("material"))
        )
        try:
            page = int(request.data.get("page"))
        except (TypeError, ValueError):
            raise ValidationFailed(_("That page does not exist.")) from None
        services.presenter_goto(actor=request.user, meeting=meeting, material=material, page=page)
        return Response({"material": material.pk, "page": page}, status=status.HTTP_201_CREATED)
