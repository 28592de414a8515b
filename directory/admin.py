"""Admin of the org chart, people, positions, absences and delegations. Every change is audited."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import transaction
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from audit import services as audit
from directory.models import Absence, Assignment, Delegation, OrgUnit, Person, Position


class AuditedAdmin(admin.ModelAdmin):
    """Records ``admin.<model>_changed`` / ``admin.<model>_deleted`` for every admin write.

    The event is written in save_related (right after save_model, in the same transaction) so
    that changes to inline rows, such as a person's posts (兼務), are part of it.
    """

    def _action(self, suffix: str) -> str:
        return f"admin.{self.model._meta.model_name}_{suffix}"

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        details: dict[str, Any] = {"created": not change, "fields": list(form.changed_data)}
        inlines = {
            formset.model._meta.model_name: _formset_changes(formset)
            for formset in formsets
            if formset.new_objects or formset.changed_objects or formset.deleted_objects
        }
        if inlines:
            details["inlines"] = inlines
        audit.record(
            action=self._action("changed"),
            actor=request.user,
            target=form.instance,
            details=details,
            request=request,
        )

    @transaction.atomic
    def delete_model(self, request: HttpRequest, obj) -> None:
        self._record_deleted(request, obj)
        super().delete_model(request, obj)

    @transaction.atomic
    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        # The bulk "delete selected" action bypasses delete_model.
        for obj in queryset:
            self._record_deleted(request, obj)
        super().delete_queryset(request, queryset)

    def _record_deleted(self, request: HttpRequest, obj) -> None:
        audit.record(
            action=self._action("deleted"),
            actor=request.user,
            target=obj,
            details={"repr": str(obj)},
            request=request,
        )


def _formset_changes(formset) -> dict[str, Any]:
    return {
        "added": [obj.pk for obj in formset.new_objects],
        "changed": {str(obj.pk): fields for obj, fields in formset.changed_objects},
        "deleted": [obj.pk for obj in formset.deleted_objects],
    }


@admin.register(OrgUnit)
class OrgUnitAdmin(AuditedAdmin):
    list_display = ("tree_name", "level", "parent", "doc_number_prefix", "source", "is_active")
    list_display_links = ("tree_name",)
    list_editable = ("doc_number_prefix",)
    list_filter = ("level", "source", "is_active")
    search_fields = ("name", "code", "parent__name")
    autocomplete_fields = ("parent",)
    readonly_fields = ("dn", "source")
    list_select_related = ("parent",)
    # Tree order: each 部 followed by its 課, each 課 by its 係 (the chart is three levels deep).
    # Expressions rather than annotations, because the admin also orders the unit choices of
    # other forms with this.
    ordering = (
        Coalesce("parent__parent__name", "parent__name", "name").asc(),
        Case(
            When(parent__parent__isnull=False, then="parent__name"),
            When(parent__isnull=False, then="name"),
            default=Value(""),
        ).asc(),
        Case(When(parent__parent__isnull=False, then="name"), default=Value("")).asc(),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[OrgUnit]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                tree_depth=Case(
                    When(parent__parent__isnull=False, then=Value(2)),
                    When(parent__isnull=False, then=Value(1)),
                    default=Value(0),
                    output_field=IntegerField(),
                )
            )
        )

    @admin.display(description=_("name"), ordering="name")
    def tree_name(self, obj: OrgUnit):
        depth = getattr(obj, "tree_depth", 0)
        return format_html('<span style="padding-left: {}em">{}</span>', depth * 1.5, obj.name)


@admin.register(Position)
class PositionAdmin(AuditedAdmin):
    list_display = ("title", "rank")
    list_editable = ("rank",)
    search_fields = ("title",)
    ordering = ("-rank", "title")


class AssignmentInline(admin.TabularInline):
    """A person's posts: one primary post, the others are concurrent posts (兼務)."""

    model = Assignment
    extra = 0
    fields = ("unit", "position", "is_primary", "source")
    readonly_fields = ("source",)
    autocomplete_fields = ("unit", "position")


@admin.register(Person)
class PersonAdmin(AuditedAdmin):
    list_display = ("display_name", "username", "kind", "source", "is_active")
    list_filter = ("kind", "source", "is_active")
    search_fields = ("display_name", "user__username", "employee_number", "email")
    autocomplete_fields = ("user",)
    readonly_fields = ("source", "dn", "left_at")
    list_select_related = ("user",)
    inlines = (AssignmentInline,)

    @admin.display(description=_("username"), ordering="user__username")
    def username(self, obj: Person) -> str:
        return obj.user.get_username()


@admin.register(Delegation)
class DelegationAdmin(AuditedAdmin):
    list_display = ("principal", "deputy", "start_at", "end_at", "is_revoked")
    list_filter = ("is_revoked",)
    search_fields = ("principal__display_name", "deputy__display_name")
    autocomplete_fields = ("principal", "deputy")
    date_hierarchy = "start_at"


@admin.register(Absence)
class AbsenceAdmin(AuditedAdmin):
    list_display = ("person", "start_at", "end_at", "note")
    search_fields = ("person__display_name", "note")
    autocomplete_fields = ("person",)
    date_hierarchy = "start_at"
