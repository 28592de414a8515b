"""REST API of the chat (CONTRACT.md "Chat"). Thin: parse, call a selector or a service, shape
the answer. A room or message one is not a member of is 404."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.exceptions import ValidationFailed
from chat import selectors, services
from chat.api import serializers as out
from chat.events import message_payload, room_payload
from documents import validation


def _room_out(room: Any) -> dict[str, Any]:
    return {
        **room_payload(room),
        "unread": getattr(room, "unread", 0),
        "last_message": getattr(room, "last_message_id", None),
    }


def _limit(raw: Any, default: int = 50) -> int:
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise ValidationFailed(_("limit must be a number.")) from None
    if value < 1:
        raise ValidationFailed(
            _("limit must be between 1 and %(max)d.") % {"max": selectors.MAX_PAGE}
        )
    return min(value, selectors.MAX_PAGE)  # more than a page: a full page


def _optional_id(raw: Any, name: str) -> int | None:
    if raw in (None, ""):
        return None
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise ValidationFailed(_("%(name)s must be a number.") % {"name": name}) from None
    if not 0 < value < 2**62:
        raise ValidationFailed(_("%(name)s is out of range.") % {"name": name})
    return value


class RoomListCreateApi(APIView):
    class Input(serializers.Serializer):
        name = serializers.CharField(max_length=100)
        members = serializers.ListField(
            child=serializers.CharField(max_length=150), allow_empty=True, max_length=500
        )

    @extend_schema(responses={200: out.RoomOut(many=True)})
    def get(self, request: Request) -> Response:
        rooms = selectors.room_list_for_user(user=request.user)
        return Response([_room_out(r) for r in rooms])

    @extend_schema(request=Input, responses={201: out.RoomDetailOut})
    def post(self, request: Request) -> Response:
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        room = services.room_create(actor=request.user, **data.validated_data)
        return Response(_room_detail(room), status=status.HTTP_201_CREATED)


def _room_detail(room: Any) -> dict[str, Any]:
    members = selectors.room_members(room)
    return {
        **room_payload(room),
        "members": [
            {"username": m.user.username, "name": selectors.display_name(m.user)} for m in members
        ],
    }


class RoomDetailApi(APIView):
    class Input(serializers.Serializer):
        name = serializers.CharField(max_length=100)

    @extend_schema(responses={200: out.RoomDetailOut})
    def get(self, request: Request, room_id: int) -> Response:
        room = selectors.room_get_for_user(user=request.user, room_id=room_id)
        return Response(_room_detail(room))

    @extend_schema(request=Input, responses={200: out.RoomDetailOut})
    def patch(self, request: Request, room_id: int) -> Response:
        room = selectors.room_get_for_user(user=request.user, room_id=room_id)
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        room = services.room_rename(actor=request.user, room=room, name=data.validated_data["name"])
        return Response(_room_detail(room))


class RoomMemberAddApi(APIView):
    class Input(serializers.Serializer):
        username = serializers.CharField(max_length=150)

    @extend_schema(request=Input, responses={201: out.RoomDetailOut})
    def post(self, request: Request, room_id: int) -> Response:
        room = selectors.room_get_for_user(user=request.user, room_id=room_id)
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        room = services.room_member_add(
            actor=request.user, room=room, username=data.validated_data["username"]
        )
        return Response(_room_detail(room), status=status.HTTP_201_CREATED)


class RoomMemberRemoveApi(APIView):
    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request, room_id: int, username: str) -> Response:
        room = selectors.room_get_for_user(user=request.user, room_id=room_id)
        services.room_member_remove(actor=request.user, room=room, username=username)
        return Response(status=status.HTTP_204_NO_CONTENT)


class DirectRoomApi(APIView):
    class Input(serializers.Serializer):
        username = serializers.CharField(max_length=150)

    @extend_schema(request=Input, responses={200: out.RoomDetailOut})
    def post(self, request: Request) -> Response:
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        room = services.direct_room_get_or_create(
            actor=request.user, username=data.validated_data["username"]
        )
        return Response(_room_detail(room), status=status.HTTP_200_OK)


def messages_out(messages: list[Any]) -> list[dict[str, Any]]:
    counts = selectors.receipt_counts([m.pk for m in messages])
    return [{**message_payload(m), "read_count": counts.get(m.pk, 0)} for m in messages]


class MessageListCreateApi(APIView):
    class Input(serializers.Serializer):
        text = serializers.CharField(max_length=services.MAX_TEXT, trim_whitespace=False)
        client_id = serializers.CharField(max_length=64, required=False, allow_blank=True)
        parent = serializers.IntegerField(required=False, allow_null=True, min_value=1)

    @extend_schema(
        parameters=[
            OpenApiParameter("before", int, required=False, description="Older than this id."),
            OpenApiParameter("limit", int, required=False, description="At most 100 (default 50)."),
        ],
        responses={200: out.MessageOut(many=True)},
    )
    def get(self, request: Request, room_id: int) -> Response:
        room = selectors.room_get_for_user(user=request.user, room_id=room_id)
        messages = selectors.message_list_for_room(
            user=request.user,
            room=room,
            before=_optional_id(request.query_params.get("before"), "before"),
            limit=_limit(request.query_params.get("limit")),
        )
        return Response(messages_out(messages))

    @extend_schema(request=Input, responses={201: out.MessageOut})
    def post(self, request: Request, room_id: int) -> Response:
        room = selectors.room_get_for_user(user=request.user, room_id=room_id)
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        message = services.message_send(
            actor=request.user,
            room_id=room.pk,
            text=v["text"],
            client_id=v.get("client_id", ""),
            parent_id=v.get("parent"),
        )
        return Response(messages_out([message])[0], status=status.HTTP_201_CREATED)


class MessageDetailApi(APIView):
    class Input(serializers.Serializer):
        text = serializers.CharField(max_length=services.MAX_TEXT, trim_whitespace=False)

    @extend_schema(request=Input, responses={200: out.MessageOut})
    def patch(self, request: Request, message_id: int) -> Response:
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        message = services.message_edit(
            actor=request.user, message_id=message_id, text=data.validated_data["text"]
        )
        return Response(messages_out([message])[0])

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request, message_id: int) -> Response:
        services.message_delete(actor=request.user, message_id=message_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MessageReadApi(APIView):
    @extend_schema(request=None, responses={200: out.ReadOut})
    def post(self, request: Request, message_id: int) -> Response:
        message = selectors.message_get_for_user(user=request.user, message_id=message_id)
        n = services.message_read(
            actor=request.user, room_id=message.room_id, message_id=message.pk
        )
        return Response({"new_receipts": n})


class MessageReceiptsApi(APIView):
    @extend_schema(responses={200: out.ReceiptsOut})
    def get(self, request: Request, message_id: int) -> Response:
        message = selectors.message_get_for_user(user=request.user, message_id=message_id)
        readers = selectors.receipt_readers(message)
        return Response({"message": message.pk, "count": len(readers), "readers": readers})


class MessageMandatoryApi(APIView):
    @extend_schema(request=None, responses={200: out.MessageOut})
    def post(self, request: Request, message_id: int) -> Response:
        message = services.message_mark_mandatory(actor=request.user, message_id=message_id)
        return Response(messages_out([message])[0])


class MandatoryStatusApi(APIView):
    """必読 status: per must-read message, readers and, per 課, who has not read it."""

    @extend_schema(responses={200: out.MustReadOut(many=True)})
    def get(self, request: Request) -> Response:
        from chat.mandatory import mandatory_status_for

        rows = mandatory_status_for(user=request.user)
        return Response(
            [
                {
                    "message": r["message"].pk,
                    "room": r["room"].pk,
                    "read": r["read"],
                    "total": r["total"],
                    "unread": [{"division": d, "names": names} for d, names in r["unread"]],
                }
                for r in rows
            ]
        )


class MandatoryRemindApi(APIView):
    @extend_schema(request=None, responses={200: out.RemindedOut})
    def post(self, request: Request, message_id: int) -> Response:
        from chat.mandatory import mandatory_remind

        return Response({"reminded": mandatory_remind(actor=request.user, message_id=message_id)})


def _when(raw: Any, name: str) -> Any:
    from django.utils.dateparse import parse_date, parse_datetime

    if raw in (None, ""):
        return None
    try:
        value = parse_datetime(raw)
        if value is None and (day := parse_date(raw)) is not None:
            from datetime import datetime, time

            from django.utils import timezone

            value = timezone.make_aware(datetime.combine(day, time.min))
    except ValueError:
        value = None
    if value is None:
        raise ValidationFailed(_("%(name)s must be a date or date-time.") % {"name": name})
    if value.tzinfo is None:
        from django.utils import timezone

        value = timezone.make_aware(value)
    return value


class ComplianceExportApi(APIView):
    """Auditors: every message of a room and/or person in a period, edits and deletions
    included, as JSON or CSV (?output=csv). Audited."""

    @extend_schema(
        parameters=[
            OpenApiParameter("room", int, required=False),
            OpenApiParameter("person", str, required=False, description="A user name."),
            OpenApiParameter("from", str, required=False, description="A date or date-time."),
            OpenApiParameter("to", str, required=False, description="A date or date-time."),
            OpenApiParameter("output", str, required=False, enum=["json", "csv"]),
        ],
        responses={(200, "application/json"): out.ExportOut, (200, "text/csv"): OpenApiTypes.STR},
    )
    def get(self, request: Request) -> Any:
        from django.http import HttpResponse

        from chat.records import compliance_export, export_csv

        q = request.query_params
        rows = compliance_export(
            actor=request.user,
            room_id=_optional_id(q.get("room"), "room"),
            username=(q.get("person") or "")[:150] or None,
            start=_when(q.get("from"), "from"),
            end=_when(q.get("to"), "to"),
        )
        if q.get("output") == "csv":
            response = HttpResponse(export_csv(rows), content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = 'attachment; filename="chat-export.csv"'
            return response
        return Response({"count": len(rows), "messages": rows})


class FileAsRecordApi(APIView):
    class Input(serializers.Serializer):
        messages = serializers.ListField(
            child=serializers.IntegerField(min_value=1), required=False, max_length=1000
        )
        thread = serializers.IntegerField(required=False, min_value=1)
        binder = serializers.IntegerField(required=False, min_value=1)
        title = serializers.CharField(required=False, max_length=200, allow_blank=True)

    @extend_schema(request=Input, responses={201: out.FiledOut})
    def post(self, request: Request, room_id: int) -> Response:
        from chat.records import messages_file_as_record
        from documents.selectors import binder_get

        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        binder = binder_get(user=request.user, binder_id=v["binder"]) if "binder" in v else None
        document = messages_file_as_record(
            actor=request.user,
            room_id=room_id,
            message_ids=v.get("messages"),
            thread_id=v.get("thread"),
            binder=binder,
            title=v.get("title", ""),
        )
        return Response(
            {"document": document.pk, "title": document.title}, status=status.HTTP_201_CREATED
        )


class ProposalCardApi(APIView):
    """A proposal linked in a message, as a card — only for people who may see the proposal
    (workflow's selector); everyone else gets 404 and the link stays a plain link."""

    @extend_schema(responses={200: out.ProposalCardOut})
    def get(self, request: Request, proposal_id: int) -> Response:
        from workflow.proposals.selectors import proposal_get

        proposal = proposal_get(user=request.user, proposal_id=proposal_id)
        return Response(
            {
                "id": proposal.pk,
                "title": proposal.title,
                "status": proposal.status,
                "status_label": proposal.get_status_display(),
                "number": proposal.document_number or "",
            }
        )


class AttachmentUploadApi(APIView):
    """multipart ``file`` (and ``text``?, ``client_id``?): a message with an attachment."""

    @extend_schema(
        request={"multipart/form-data": out.ATTACHMENT_UPLOAD}, responses={201: out.MessageOut}
    )
    def post(self, request: Request, room_id: int) -> Response:
        room = selectors.room_get_for_user(user=request.user, room_id=room_id)
        upload = request.FILES.get("file")
        if upload is None:
            raise ValidationFailed(_("Choose a file."))
        message = services.message_send_with_attachment(
            actor=request.user,
            room_id=room.pk,
            upload=upload,
            text=str(request.data.get("text", ""))[: services.MAX_TEXT],
            client_id=str(request.data.get("client_id", ""))[:64],
        )
        return Response(messages_out([message])[0], status=status.HTTP_201_CREATED)


class AttachmentDownloadApi(APIView):
    # The bytes are served as the type the documents' upload checked them to be.
    @extend_schema(
        responses={
            (200, media_type): bytes
            for media_type in (
                validation.PDF,
                validation.DOCX,
                validation.XLSX,
                validation.PNG,
                validation.JPEG,
                "text/plain",
            )
        }
    )
    def get(self, request: Request, message_id: int) -> Any:
        from django.http import FileResponse

        opened = services.attachment_open(actor=request.user, message_id=message_id)
        version = opened.version
        response = FileResponse(
            opened.content,
            as_attachment=True,
            filename=version.original_name,
            content_type=version.content_type,
        )
        response["Content-Length"] = str(version.size_bytes)
        response["Cache-Control"] = "private, no-store"
        return response


def _hold_out(hold: Any) -> dict[str, Any]:
    return {
        "id": hold.pk,
        "room": hold.room_id,
        "person": hold.person.username if hold.person_id else None,
        "from": hold.start,
        "to": hold.end,
        "reason": hold.reason,
        "placed_by": hold.placed_by.username,
        "placed_at": hold.placed_at,
        "released_at": hold.released_at,
    }


class LegalHoldListCreateApi(APIView):
    """Auditors: legal holds (active first, with the messages each keeps now), and placing one
    on a room and/or a person in a period. Audited. Others: 403."""

    class Input(serializers.Serializer):
        room = serializers.IntegerField(required=False, allow_null=True, min_value=1)
        person = serializers.CharField(required=False, allow_blank=True, max_length=150)
        reason = serializers.CharField(max_length=200)

        def get_fields(self) -> dict[str, Any]:
            # "from" is a Python keyword: the period's bounds are added here (a date or a
            # date-time, parsed like the export's).
            fields = super().get_fields()
            for name in ("from", "to"):
                fields[name] = serializers.CharField(
                    required=False, allow_blank=True, allow_null=True, max_length=40
                )
            return fields

    @extend_schema(responses={200: out.LegalHoldListedOut(many=True)})
    def get(self, request: Request) -> Response:
        from chat.holds import legal_holds_for

        rows = legal_holds_for(user=request.user)
        return Response([{**_hold_out(r["hold"]), "messages": r["messages"]} for r in rows])

    @extend_schema(request=Input, responses={201: out.LegalHoldOut})
    def post(self, request: Request) -> Response:
        from chat.holds import legal_hold_place

        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        hold = legal_hold_place(
            actor=request.user,
            reason=v["reason"],
            room_id=v.get("room"),
            username=(v.get("person") or "").strip() or None,
            start=_when(v.get("from"), "from"),
            end=_when(v.get("to"), "to"),
        )
        return Response(_hold_out(hold), status=status.HTTP_201_CREATED)


class LegalHoldReleaseApi(APIView):
    @extend_schema(request=None, responses={200: out.LegalHoldOut})
    def post(self, request: Request, hold_id: int) -> Response:
        from chat.holds import legal_hold_release

        return Response(_hold_out(legal_hold_release(actor=request.user, hold_id=hold_id)))
