"""Admin of the authority table (専決規程). Every change is audited (``AuditedAdmin``).

A rule set whose effective date has arrived is read-only: proposals may have been submitted under
it and must keep meaning what they meant. To change the rules, copy the current version ("Copy as
new version"), edit the copy and give it a future date; it takes effect on that date.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Max
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from audit.exceptions import KairanError
from directory.admin import AuditedAdmin
from directory.models import OrgUnit
from workflow.authority import rules
from workflow.models import (
    ApprovalLevel,
    AuthorityRule,
    AuthorityRuleSet,
    Category,
    ConsultationRule,
    LetterTemplate,
    ProposalTemplate,
)
from workflow.proposals.rendering.letter_template import (
    PLACEHOLDERS,
    LetterTemplateError,
    check_letter_template,
)


def _any_ruleset_locked() -> bool:
    return AuthorityRuleSet.objects.filter(effective_on__lte=timezone.localdate()).exists()


@admin.register(ApprovalLevel)
class ApprovalLevelAdmin(AuditedAdmin):
    list_display = ("name", "code", "order", "unit_level", "title")

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        # Levels are shared by every version: once a version is in force, changing how a level
        # is found or where it sits would silently rewrite the routes of that version.
        if obj is not None and _any_ruleset_locked():
            return ("code", "order", "unit_level", "title")
        return ("code",) if obj is not None else ()

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return super().has_delete_permission(request, obj) and not _any_ruleset_locked()


@admin.register(Category)
class CategoryAdmin(AuditedAdmin):
    list_display = ("name", "code", "sort_order")

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        # Proposals and API clients refer to categories by code.
        return ("code",) if obj is not None else ()


class _RangeFormSet(BaseInlineFormSet):
    """Refuses overlapping amount ranges (and, for authority rules, gaps) across the inline."""

    complete = False

    def key(self, form) -> str:
        return str(form.cleaned_data["category"])

    def clean(self) -> None:
        super().clean()
        forms_kept = [
            form
            for form in self.forms
            if form.cleaned_data
            and not form.errors
            and not form.cleaned_data.get("DELETE")
            and form.cleaned_data.get("category")
        ]
        keys = {id(form.instance): self.key(form) for form in forms_kept}
        problems = rules.range_problems(
            rows=[form.instance for form in forms_kept],
            key=lambda row: keys[id(row)],
            complete=self.complete,
        )
        if problems:
            raise ValidationError(problems)


class _AuthorityRuleFormSet(_RangeFormSet):
    complete = True


class _ConsultationRuleFormSet(_RangeFormSet):
    def key(self, form) -> str:
        return f"{form.cleaned_data['category']} / {form.cleaned_data.get('unit_name', '')}"


class _LockableInline(admin.TabularInline):
    extra = 0

    def _locked(self, obj) -> bool:
        return obj is not None and rules.ruleset_is_locked(ruleset=obj)

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return not self._locked(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return not self._locked(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return not self._locked(obj) and super().has_delete_permission(request, obj)


class AuthorityRuleInline(_LockableInline):
    model = AuthorityRule
    formset = _AuthorityRuleFormSet
    fields = ("category", "amount_min", "amount_max", "final_level")


class ConsultationRuleInline(_LockableInline):
    model = ConsultationRule
    formset = _ConsultationRuleFormSet
    fields = ("category", "amount_min", "amount_max", "unit_name")


class AuthorityRuleSetForm(forms.ModelForm):
    class Meta:
        model = AuthorityRuleSet
        fields = ("version", "effective_on", "note")

    def clean_effective_on(self):
        effective_on = self.cleaned_data["effective_on"]
        if effective_on <= timezone.localdate():
            raise ValidationError(
                _("A rule set must take effect after today; versions already in force are kept.")
            )
        return effective_on


@admin.register(AuthorityRuleSet)
class AuthorityRuleSetAdmin(AuditedAdmin):
    form = AuthorityRuleSetForm
    list_display = ("__str__", "version", "effective_on", "status", "note", "created_at")
    ordering = ("-effective_on",)
    inlines = (AuthorityRuleInline, ConsultationRuleInline)
    actions = ("copy_as_new_version",)

    @admin.display(description=_("status"))
    def status(self, obj: AuthorityRuleSet) -> str:
        today = timezone.localdate()
        if not rules.ruleset_is_locked(ruleset=obj, today=today):
            return gettext("scheduled (editable)")
        current = AuthorityRuleSet.objects.filter(effective_on__lte=today).order_by(
            "-effective_on"
        )[:1]
        return gettext("in force") if obj in current else gettext("superseded")

    def get_changeform_initial_data(self, request: HttpRequest) -> dict:
        latest = AuthorityRuleSet.objects.aggregate(version=Max("version"))["version"] or 0
        return {"version": latest + 1, **super().get_changeform_initial_data(request)}

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        if obj is not None and rules.ruleset_is_locked(ruleset=obj):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        if obj is not None and rules.ruleset_is_locked(ruleset=obj):
            return False
        return super().has_delete_permission(request, obj)

    def get_actions(self, request: HttpRequest):
        # The bulk delete would bypass the per-object lock above.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.action(description=_("Copy as new version"), permissions=["add"])
    def copy_as_new_version(self, request: HttpRequest, queryset):
        if queryset.count() != 1:
            self.message_user(request, gettext("Select exactly one rule set."), messages.ERROR)
            return None
        try:
            copy = rules.ruleset_copy(actor=request.user, source=queryset.get())
        except KairanError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return None
        self.message_user(
            request,
            gettext("Created v%(version)s, effective %(date)s. Edit it before that date.")
            % {"version": copy.version, "date": copy.effective_on.isoformat()},
            messages.SUCCESS,
        )
        return HttpResponseRedirect(
            reverse("admin:workflow_authorityruleset_change", args=[copy.pk])
        )

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        # A warning, not an error: a rule set for next April may name a unit that the
        # reorganisation (and the directory sync) only creates on that date.
        names = set(form.instance.consultation_rules.values_list("unit_name", flat=True))
        known = set(
            OrgUnit.objects.filter(name__in=names, is_active=True).values_list("name", flat=True)
        )
        for name in sorted(names - known):
            self.message_user(
                request,
                gettext("No active org unit is named %(unit)s: it will not be consulted.")
                % {"unit": name},
                messages.WARNING,
            )


# DX action plans (workflow/dx/): their admin lives with them.
from workflow.dx import admin as _dx_admin  # noqa: E402, F401

# --- what the 文書 section maintains for drafting ---------------------------------------------


@admin.register(ProposalTemplate)
class ProposalTemplateAdmin(AuditedAdmin):
    list_display = ("name", "category", "is_active", "sort_order")
    list_filter = ("category", "is_active")


class LetterTemplateForm(forms.ModelForm):
    class Meta:
        model = LetterTemplate
        fields = ("name", "file", "is_active")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload is None:
            return upload
        upload.seek(0)
        try:
            used = check_letter_template(upload.read())
        except LetterTemplateError as exc:
            raise ValidationError(gettext("This is not a usable Word (.docx) template.")) from exc
        finally:
            upload.seek(0)
        if not used:
            raise ValidationError(
                gettext("The template uses none of the placeholders: %(names)s")
                % {"names": ", ".join("{{ " + name + " }}" for name in PLACEHOLDERS)}
            )
        return upload


@admin.register(LetterTemplate)
class LetterTemplateAdmin(AuditedAdmin):
    form = LetterTemplateForm
    list_display = ("name", "is_active", "uploaded_at", "uploaded_by")
    readonly_fields = ("uploaded_at", "uploaded_by")

    def save_model(self, request: HttpRequest, obj, form, change: bool) -> None:
        if not change:
            obj.uploaded_by = request.user
        if obj.is_active:
            # One template in use at a time: the newly chosen one replaces the previous.
            LetterTemplate.objects.filter(is_active=True).exclude(pk=obj.pk).update(is_active=False)
        super().save_model(request, obj, form, change)
