"""The shapes of the chat API's answers, for the OpenAPI schema (drf-spectacular).

The views build their answers from ``chat.events`` (the same payloads the WebSocket sends), so
these serializers only describe them: one component per shape, named ``Chat…``.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from chat.models import Room


@extend_schema_serializer(component_name="ChatRoom")
class RoomOut(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=Room.Kind.choices)
    name = serializers.CharField(allow_blank=True)
    unread = serializers.IntegerField(help_text="Others' messages after my last read one.")
    last_message = serializers.IntegerField(allow_null=True)


@extend_schema_serializer(component_name="ChatRoomMember")
class RoomMemberOut(serializers.Serializer):
    username = serializers.CharField()
    name = serializers.CharField()


@extend_schema_serializer(component_name="ChatRoomDetail")
class RoomDetailOut(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=Room.Kind.choices)
    name = serializers.CharField(allow_blank=True)
    members = RoomMemberOut(many=True)


@extend_schema_serializer(component_name="ChatMessage")
class MessageOut(serializers.Serializer):
    room = serializers.IntegerField()
    id = serializers.IntegerField()
    sender = serializers.CharField(allow_null=True, help_text="null: a notice from Kairan.")
    sender_name = serializers.CharField()
    text = serializers.CharField(allow_blank=True, help_text="As typed; empty once deleted.")
    sent_at = serializers.DateTimeField()
    client_id = serializers.CharField(allow_blank=True)
    parent = serializers.IntegerField(allow_null=True, help_text="The thread's first message.")
    attachment = serializers.IntegerField(allow_null=True, help_text="The document's id.")
    edited = serializers.BooleanField()
    deleted = serializers.BooleanField()
    mandatory = serializers.BooleanField(help_text="必読")
    card = serializers.JSONField(allow_null=True, help_text="An approval notice's card.")
    read_count = serializers.IntegerField(help_text="既読 n")


@extend_schema_serializer(component_name="ChatReader")
class ReaderOut(serializers.Serializer):
    reader = serializers.CharField()
    name = serializers.CharField()
    read_at = serializers.DateTimeField()


@extend_schema_serializer(component_name="ChatReceipts")
class ReceiptsOut(serializers.Serializer):
    message = serializers.IntegerField()
    count = serializers.IntegerField()
    readers = ReaderOut(many=True)


@extend_schema_serializer(component_name="ChatRead")
class ReadOut(serializers.Serializer):
    new_receipts = serializers.IntegerField()


@extend_schema_serializer(component_name="ChatUnreadDivision")
class UnreadDivisionOut(serializers.Serializer):
    division = serializers.CharField()
    names = serializers.ListField(child=serializers.CharField())


@extend_schema_serializer(component_name="ChatMustRead")
class MustReadOut(serializers.Serializer):
    message = serializers.IntegerField()
    room = serializers.IntegerField()
    read = serializers.IntegerField()
    total = serializers.IntegerField()
    unread = UnreadDivisionOut(many=True)


@extend_schema_serializer(component_name="ChatReminded")
class RemindedOut(serializers.Serializer):
    reminded = serializers.IntegerField()


@extend_schema_serializer(component_name="ChatRevision")
class RevisionOut(serializers.Serializer):
    action = serializers.ChoiceField(choices=["edit", "delete"])
    text = serializers.CharField(allow_blank=True)
    by = serializers.CharField()
    at = serializers.DateTimeField()


@extend_schema_serializer(component_name="ChatExportRow")
class ExportRowOut(serializers.Serializer):
    room = serializers.IntegerField()
    room_name = serializers.CharField(allow_blank=True)
    message = serializers.IntegerField()
    parent = serializers.IntegerField(allow_null=True)
    sender = serializers.CharField(allow_null=True)
    sent_at = serializers.DateTimeField()
    text = serializers.CharField(allow_blank=True)
    edited_at = serializers.DateTimeField(allow_null=True)
    deleted_at = serializers.DateTimeField(allow_null=True)
    revisions = RevisionOut(many=True)
    mandatory = serializers.BooleanField()
    legal_hold = serializers.BooleanField()
    filed_document = serializers.IntegerField(allow_null=True)


@extend_schema_serializer(component_name="ChatExport")
class ExportOut(serializers.Serializer):
    count = serializers.IntegerField()
    messages = ExportRowOut(many=True)


@extend_schema_serializer(component_name="ChatFiled")
class FiledOut(serializers.Serializer):
    document = serializers.IntegerField()
    title = serializers.CharField()


@extend_schema_serializer(component_name="ChatProposalCard")
class ProposalCardOut(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    status = serializers.CharField()
    status_label = serializers.CharField()
    number = serializers.CharField(allow_blank=True)


# multipart/form-data: the file and, optionally, a text and the client's id (safe retry).
ATTACHMENT_UPLOAD: dict[str, Any] = {
    "type": "object",
    "properties": {
        "file": {"type": "string", "format": "binary"},
        "text": {"type": "string"},
        "client_id": {"type": "string", "maxLength": 64},
    },
    "required": ["file"],
}


@extend_schema_serializer(component_name="ChatLegalHold")
class LegalHoldOut(serializers.Serializer):
    id = serializers.IntegerField()
    room = serializers.IntegerField(allow_null=True)
    person = serializers.CharField(allow_null=True)
    reason = serializers.CharField()
    placed_by = serializers.CharField()
    placed_at = serializers.DateTimeField()
    released_at = serializers.DateTimeField(allow_null=True)

    def get_fields(self) -> dict[str, Any]:
        # The period's bounds: "from" is a Python keyword, so they are added here.
        fields = super().get_fields()
        fields["from"] = serializers.DateTimeField(allow_null=True)
        fields["to"] = serializers.DateTimeField(allow_null=True)
        return fields


@extend_schema_serializer(component_name="ChatLegalHoldListed")
class LegalHoldListedOut(LegalHoldOut):
    messages = serializers.IntegerField(
        allow_null=True, help_text="Messages the hold keeps now (null once released)."
    )
