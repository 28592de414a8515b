"""Sessions (定例会/臨時会), a meeting's session and its agenda (議案第N号, 報告, 請願 …).

Writes are the secretariat's: anyone else gets 403 before anything is looked up; then an object
the caller may not see is 404 and bad input 400.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.exceptions import PermissionRefused
from council import permissions, selectors, services
from council.api.common import parse_id, require_council
from council.api.shapes import MeetingOutput, meeting_out
from council.models import AgendaItem, CouncilSession

KIND_HELP = "regular (定例会) or extraordinary (臨時会)"
AGENDA_KIND_HELP = "bill (議案), report (報告), petition (請願) or other"


def _require_secretariat(user: Any, message: str) -> None:
    if not permissions.can_manage(user):
        raise PermissionRefused(message)


# --- shapes ------------------------------------------------------------------------------------


@extend_schema_serializer(component_name="CouncilAgendaItem")
class AgendaItemOutput(serializers.Serializer):
    id = serializers.IntegerField()
    meeting = serializers.IntegerField()
    order = serializers.IntegerField(help_text="1-based position in the agenda")
    kind = serializers.ChoiceField(choices=AgendaItem.Kind.values, help_text=AGENDA_KIND_HELP)
    number = serializers.CharField(help_text="e.g. 議案第12号; may be empty")
    title = serializers.CharField()


def agenda_item_out(item: AgendaItem) -> dict[str, Any]:
    return {
        "id": item.pk,
        "meeting": item.meeting_id,
        "order": item.order,
        "kind": item.kind,
        "number": item.number,
        "title": item.title,
    }


@extend_schema_serializer(component_name="CouncilSession")
class SessionOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=CouncilSession.Kind.values, help_text=KIND_HELP)
    starts_on = serializers.DateField(allow_null=True)
    meetings = MeetingOutput(many=True, help_text="the meetings of the session I may see")


def session_out(session: CouncilSession, *, user: Any) -> dict[str, Any]:
    meetings = selectors.meeting_list_visible(user=user).filter(session=session)
    return {
        "id": session.pk,
        "name": session.name,
        "kind": session.kind,
        "starts_on": session.starts_on.isoformat() if session.starts_on else None,
        "meetings": [meeting_out(m) for m in meetings],
    }


# --- sessions ----------------------------------------------------------------------------------


class SessionListCreateApi(APIView):
    """``GET council/sessions/`` (those I may see) · ``POST`` (secretariat) → 201."""

    parser_classes = [JSONParser, FormParser, MultiPartParser]

    class Input(serializers.Serializer):
        name = serializers.CharField(max_length=200)
        kind = serializers.ChoiceField(
            choices=CouncilSession.Kind.values, required=False, help_text=KIND_HELP
        )
        starts_on = serializers.DateField(required=False, allow_null=True)

    @extend_schema(responses={200: SessionOutput(many=True)})
    def get(self, request: Request) -> Response:
        require_council(request.user)
        sessions = selectors.session_list_visible(user=request.user)
        return Response([session_out(s, user=request.user) for s in sessions])

    @extend_schema(request=Input, responses={201: SessionOutput})
    def post(self, request: Request) -> Response:
        _require_secretariat(request.user, _("Only the council secretariat may create sessions."))
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        session = services.session_create(
            actor=request.user,
            name=data.validated_data["name"],
            kind=data.validated_data.get("kind") or CouncilSession.Kind.REGULAR,
            starts_on=data.validated_data.get("starts_on"),
            request=request,
        )
        return Response(session_out(session, user=request.user), status=status.HTTP_201_CREATED)


class SessionDetailApi(APIView):
    @extend_schema(responses={200: SessionOutput})
    def get(self, request: Request, session_id: int) -> Response:
        require_council(request.user)
        session = selectors.session_get(user=request.user, session_id=parse_id(session_id))
        return Response(session_out(session, user=request.user))


class MeetingSessionApi(APIView):
    """``PUT council/meetings/{id}/session/`` ``{"session": id | null}`` (secretariat)."""

    parser_classes = [JSONParser, FormParser, MultiPartParser]

    class Input(serializers.Serializer):
        session = serializers.IntegerField(
            allow_null=True, min_value=1, help_text="a session id, or null to take it out"
        )

    @extend_schema(request=Input, responses={200: MeetingOutput})
    def put(self, request: Request, meeting_id: int) -> Response:
        _require_secretariat(request.user, _("Only the council secretariat may edit meetings."))
        meeting = selectors.meeting_get(user=request.user, meeting_id=parse_id(meeting_id))
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        meeting = services.meeting_set_session(
            actor=request.user,
            meeting=meeting,
            session=data.validated_data["session"],
            request=request,
        )
        return Response(meeting_out(meeting))


# --- agenda ------------------------------------------------------------------------------------


@extend_schema_serializer(component_name="CouncilAgendaItemInput")
class AgendaItemInput(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(
        choices=AgendaItem.Kind.values, required=False, help_text=AGENDA_KIND_HELP
    )
    number = serializers.CharField(
        max_length=50, required=False, allow_blank=True, help_text="e.g. 議案第12号"
    )


class AgendaItemCreateApi(APIView):
    """``POST council/meetings/{id}/agenda/`` ``{"title","kind"?,"number"?}`` → 201."""

    parser_classes = [JSONParser, FormParser, MultiPartParser]

    @extend_schema(request=AgendaItemInput, responses={201: AgendaItemOutput})
    def post(self, request: Request, meeting_id: int) -> Response:
        _require_secretariat(request.user, _("Only the council secretariat may edit the agenda."))
        meeting = selectors.meeting_get(user=request.user, meeting_id=parse_id(meeting_id))
        data = AgendaItemInput(data=request.data)
        data.is_valid(raise_exception=True)
        item = services.agenda_item_add(
            actor=request.user,
            meeting=meeting,
            title=data.validated_data["title"],
            kind=data.validated_data.get("kind") or AgendaItem.Kind.OTHER,
            number=data.validated_data.get("number", ""),
            request=request,
        )
        return Response(agenda_item_out(item), status=status.HTTP_201_CREATED)


class AgendaItemDetailApi(APIView):
    """``PUT council/agenda/{id}/`` (number, kind, title) · ``DELETE`` → 204 (secretariat)."""

    parser_classes = [JSONParser, FormParser, MultiPartParser]

    @extend_schema(request=AgendaItemInput, responses={200: AgendaItemOutput})
    def put(self, request: Request, item_id: int) -> Response:
        _require_secretariat(request.user, _("Only the council secretariat may edit the agenda."))
        item = selectors.agenda_item_get(user=request.user, item_id=parse_id(item_id))
        data = AgendaItemInput(data=request.data)
        data.is_valid(raise_exception=True)
        item = services.agenda_item_update(
            actor=request.user,
            item=item,
            title=data.validated_data["title"],
            kind=data.validated_data.get("kind") or AgendaItem.Kind.OTHER,
            number=data.validated_data.get("number", ""),
            request=request,
        )
        return Response(agenda_item_out(item))

    @extend_schema(responses={204: None})
    def delete(self, request: Request, item_id: int) -> Response:
        _require_secretariat(request.user, _("Only the council secretariat may edit the agenda."))
        item = selectors.agenda_item_get(user=request.user, item_id=parse_id(item_id))
        services.agenda_item_delete(actor=request.user, item=item, request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AgendaItemMoveApi(APIView):
    """``POST council/agenda/{id}/move/`` ``{"direction": "up" | "down"}`` (secretariat)."""

    parser_classes = [JSONParser, FormParser, MultiPartParser]

    class Input(serializers.Serializer):
        direction = serializers.ChoiceField(choices=["up", "down"])

    @extend_schema(request=Input, responses={200: AgendaItemOutput})
    def post(self, request: Request, item_id: int) -> Response:
        _require_secretariat(request.user, _("Only the council secretariat may edit the agenda."))
        item = selectors.agenda_item_get(user=request.user, item_id=parse_id(item_id))
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        item = services.agenda_item_move(
            actor=request.user,
            item=item,
            direction=data.validated_data["direction"],
            request=request,
        )
        return Response(agenda_item_out(item))
