"""Admin of records: a read-only console. Every change to a record goes through the services
(permission, retention rules, audit), so nothing here adds, changes or deletes."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from documents.models import (
    Binder,
    Blob,
    DisposalRecord,
    Document,
    DocumentVersion,
    FiledProposal,
    RegisterEntry,
    TextExtraction,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Binder)
class BinderAdmin(ReadOnlyAdmin):
    list_display = ["title", "unit", "fiscal_year", "retention", "status", "disposal_on"]
    list_filter = ["status", "retention", "classification", "is_legal_hold", "fiscal_year"]
    search_fields = ["title", "unit__name"]


@admin.register(Document)
class DocumentAdmin(ReadOnlyAdmin):
    list_display = ["title", "unit", "classification", "binder", "created_at", "disposed_at"]
    list_filter = ["classification", "fiscal_year"]
    search_fields = ["title"]


@admin.register(DocumentVersion)
class DocumentVersionAdmin(ReadOnlyAdmin):
    list_display = ["document", "number", "original_name", "size_bytes", "content_type"]
    search_fields = ["original_name", "blob__sha256"]


@admin.register(Blob)
class BlobAdmin(ReadOnlyAdmin):
    list_display = ["sha256", "size_bytes", "created_at", "purged_at"]
    search_fields = ["sha256"]


@admin.register(TextExtraction)
class TextExtractionAdmin(ReadOnlyAdmin):
    list_display = ["version", "status", "is_truncated", "finished_at"]
    list_filter = ["status"]
    exclude = ["text"]


@admin.register(DisposalRecord)
class DisposalRecordAdmin(ReadOnlyAdmin):
    list_display = ["binder", "approval_reference", "disposed_by", "disposed_at"]
    search_fields = ["approval_reference"]


@admin.register(FiledProposal)
class FiledProposalAdmin(ReadOnlyAdmin):
    list_display = ["binder", "proposal_id", "document_number", "title", "filed_at"]


@admin.register(RegisterEntry)
class RegisterEntryAdmin(ReadOnlyAdmin):
    list_display = ["kind", "unit", "fiscal_year", "number", "on", "counterpart", "subject"]
    list_filter = ["kind", "fiscal_year"]
