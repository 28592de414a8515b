"""Meetings (本会議/委員会), search across a meeting and the presenter's position."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.exceptions import PermissionRefused, ValidationFailed
from council import permissions, selectors, services
from council.api.common import parse_id, require_council
from council.api.shapes import (
    MeetingDetailOutput,
    MeetingOutput,
    PresenterCurrentOutput,
    PresenterGotoInput,
    PresenterGotoOutput,
    SearchHitsOutput,
    material_out,
    meeting_out,
)

Q_PARAMETER = OpenApiParameter(
    "q", str, required=True, description="the words to find (NFKC, at least 2 characters)"
)


class MeetingListCreateApi(APIView):
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    class Input(serializers.Serializer):
        title = serializers.CharField(max_length=200)
        starts_at = serializers.DateTimeField()
        committee = serializers.CharField(required=False, allow_blank=True, allow_null=True)
        session = serializers.IntegerField(required=False, allow_null=True)

    @extend_schema(responses={200: MeetingOutput(many=True)})
    def get(self, request: Request) -> Response:
        meetings = selectors.meeting_list_visible(user=request.user)
        return Response([meeting_out(m) for m in meetings])

    @extend_schema(request=Input, responses={201: MeetingOutput})
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
    @extend_schema(responses={200: MeetingDetailOutput})
    def get(self, request: Request, meeting_id: int) -> Response:
        require_council(request.user)
        meeting = selectors.meeting_get(user=request.user, meeting_id=parse_id(meeting_id))
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
    @extend_schema(parameters=[Q_PARAMETER], responses={200: SearchHitsOutput})
    def get(self, request: Request, meeting_id: int) -> Response:
        require_council(request.user)
        meeting = selectors.meeting_get(user=request.user, meeting_id=parse_id(meeting_id))
        hits = selectors.meeting_search(
            user=request.user, meeting=meeting, q=request.query_params.get("q", "")
        )
        return Response({"hits": hits})


class PresenterApi(APIView):
    """``GET`` the presenter's current page; ``POST`` ``{"material","page"}`` (presenter)."""

    parser_classes = [JSONParser]

    @extend_schema(responses={200: PresenterCurrentOutput})
    def get(self, request: Request, meeting_id: int) -> Response:
        require_council(request.user)
        meeting = selectors.meeting_get(user=request.user, meeting_id=parse_id(meeting_id))
        from council.consumers import goto_for_user

        current = goto_for_user(request.user, meeting.presenter_material_id, meeting.presenter_page)
        return Response({"current": current})

    @extend_schema(request=PresenterGotoInput, responses={201: PresenterGotoOutput})
    def post(self, request: Request, meeting_id: int) -> Response:
        require_council(request.user)
        meeting = selectors.meeting_get(user=request.user, meeting_id=parse_id(meeting_id))
        material = selectors.material_get(
            user=request.user, material_id=parse_id(request.data.get("material"))
        )
        try:
            page = int(request.data.get("page"))
        except (TypeError, ValueError):
            raise ValidationFailed(_("That page does not exist.")) from None
        services.presenter_goto(actor=request.user, meeting=meeting, material=material, page=page)
        return Response({"material": material.pk, "page": page}, status=status.HTTP_201_CREATED)
