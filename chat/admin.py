"""Admin of the chat: retention periods are edited here; rooms and messages are read-only
(every change goes through the services: membership, audit, realtime events)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from chat.models import LegalHold, Message, RetentionPolicy, Room


@admin.register(RetentionPolicy)
class RetentionPolicyAdmin(admin.ModelAdmin):
    list_display = ("room_kind", "days")


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Room)
class RoomAdmin(ReadOnly):
    list_display = ("name", "kind", "unit", "is_archived", "created_at")
    list_filter = ("kind", "is_archived")
    search_fields = ("name",)


@admin.register(Message)
class MessageAdmin(ReadOnly):
    list_display = ("id", "room", "sender", "sent_at", "is_mandatory", "is_on_hold")
    list_filter = ("is_mandatory", "is_on_hold")
    raw_id_fields = ("room", "sender", "parent", "attachment", "filed_document")


@admin.register(LegalHold)
class LegalHoldAdmin(ReadOnly):
    """Placed and released on the auditors' page /chat/records/ (audited), shown here only."""

    list_display = ("id", "room", "person", "start", "end", "reason", "placed_at", "released_at")
    raw_id_fields = ("room", "person", "placed_by", "released_by")
