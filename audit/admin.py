"""The audit log in the admin: read-only for everybody, superusers included, and itself audited."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from audit import services
from audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("seq", "at", "actor_username", "action", "target_type", "target_id")
    list_filter = ("action", ("at", admin.DateFieldListFilter))
    # Exact matches: they use the indexes, where "contains" would scan millions of rows.
    search_fields = ("=actor_username", "=target_type", "=target_id")
    search_help_text = _("Exact user name, target type or target id")
    ordering = ("-seq",)
    # A full count of a multi-million-row table on every page is slow and tells an auditor little.
    show_full_result_count = False
    list_per_page = 50

    def _is_a_look(self, request: HttpRequest, response: HttpResponse) -> bool:
        return (
            request.method == "GET"
            and response.status_code == 200
            and self.has_view_permission(request)
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        response = super().changelist_view(request, extra_context)
        if self._is_a_look(request, response):
            services.record(
                action=services.ACTION_VIEWED,
                actor=request.user,
                request=request,
                details={"via": "admin", "query": request.GET.dict()},
            )
        return response

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        response = super().change_view(request, object_id, form_url, extra_context)
        if self._is_a_look(request, response):
            services.record(
                action=services.ACTION_VIEWED,
                actor=request.user,
                request=request,
                target_type=AuditEvent._meta.label_lower,
                target_id=object_id,
                details={"via": "admin"},
            )
        return response
