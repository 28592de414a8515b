"""Admin of the DX settings (who is 事務局 and 委員会) and a read-only view of the plans.

Imported by ``workflow/admin.py`` (its last line): Django's admin autodiscovery only imports
each app's own ``admin`` module. Settings changes go through ``dx_settings_update`` (audited);
plans and their history are changed only by the services, so they are read-only here.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest

from audit.exceptions import KairanError
from workflow.dx import services
from workflow.dx.models import ActionPlan, DXDecision, DXSettings


@admin.register(DXSettings)
class DXSettingsAdmin(admin.ModelAdmin):
    list_display = ("__str__", "secretariat_unit", "committee_group")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and not DXSettings.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: DXSettings, form: Any, change: bool) -> None:
        try:
            services.dx_settings_update(
                actor=request.user,
                secretariat_unit=obj.secretariat_unit,
                committee_group=obj.committee_group,
            )
        except KairanError as exc:
            messages.error(request, exc.message)


class _ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ActionPlan)
class ActionPlanAdmin(_ReadOnlyAdmin):
    list_display = ("title", "owning_unit", "drafter", "status", "round", "report_due_on")
    list_filter = ("status",)
    search_fields = ("title",)


@admin.register(DXDecision)
class DXDecisionAdmin(_ReadOnlyAdmin):
    list_display = ("plan", "round", "action", "actor", "at")
    list_filter = ("action",)
