"""Forms of the auditor pages: filters of the log and the head-hash check."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from audit.labels import TARGET_LABELS, action_choices, action_label
from audit.selectors import KIND_REFUSED, KIND_SIGN_IN_FAILURES, units_for_filter

_HASH = re.compile(r"^[0-9a-fA-F]{64}$")


class EventFilterForm(forms.Form):
    person = forms.CharField(
        label=_("Person"),
        required=False,
        max_length=150,
        help_text=_("Name in kanji or kana, or user name (e.g. 村上, むらかみ, murakami)."),
    )
    unit = forms.TypedChoiceField(
        label=_("Department or division"), required=False, coerce=int, empty_value=None
    )
    action = forms.CharField(label=_("Action"), required=False, max_length=100)
    kind = forms.ChoiceField(
        label=_("Kind"),
        required=False,
        choices=[
            ("", _("All events")),
            (KIND_SIGN_IN_FAILURES, _("Failed sign-ins and lockouts")),
            (KIND_REFUSED, _("Refused accesses")),
        ],
    )
    target_type = forms.CharField(label=_("Object type"), required=False, max_length=100)
    target_id = forms.CharField(label=_("Object number"), required=False, max_length=100)
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    show_auditor_views = forms.BooleanField(
        label=_("Also show the auditors' own looks at the log"), required=False
    )
    actor = forms.CharField(required=False, max_length=150, widget=forms.HiddenInput)
    before = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)
    after = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        units = units_for_filter()
        unit_field: Any = self.fields["unit"]
        unit_field.choices = [("", _("All units")), *units]
        # The action is a select of labels; a code from the address that is not in the table
        # (an older release's) is kept as a choice of its own.
        actions: list[tuple[str, Any]] = [("", _("All actions")), *action_choices()]
        current = self.data.get("action", "") if self.is_bound else ""
        if current and current not in dict(actions):
            actions.append((current, action_label(current)))
        self.fields["action"].widget = forms.Select(choices=actions)
        targets: list[tuple[str, Any]] = [("", _("All objects")), *TARGET_LABELS.items()]
        current_target = self.data.get("target_type", "") if self.is_bound else ""
        if current_target and current_target not in dict(targets):
            targets.append((current_target, current_target))
        self.fields["target_type"].widget = forms.Select(choices=targets)

    def clean_person(self) -> str:
        return self.cleaned_data["person"].strip()

    def clean_target_id(self) -> str:
        return self.cleaned_data["target_id"].strip()

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            raise forms.ValidationError(_("The start date must not be after the end date."))
        return data

    def filters(self) -> dict[str, Any]:
        """The filters for ``events_list`` (valid form only)."""
        data = self.cleaned_data
        names = ("action", "actor", "target_type", "target_id", "date_from", "date_to", "person")
        filters = {name: data[name] for name in names}
        filters["unit_id"] = data["unit"]
        filters["kind"] = data["kind"]
        filters["show_auditor_views"] = data["show_auditor_views"]
        return filters


class VerifyForm(forms.Form):
    expect_head = forms.CharField(
        label=_("Head hash written down earlier"),
        required=False,
        # Room for a hash pasted with spaces or line breaks around it; trimmed before the check.
        max_length=200,
        help_text=_("Optional. 64 hexadecimal digits; spaces around it are ignored."),
    )

    def clean_expect_head(self) -> str:
        value = "".join(self.cleaned_data["expect_head"].split())
        if value and not _HASH.match(value):
            raise forms.ValidationError(
                _("Enter the 64 hexadecimal digits (0–9, a–f) of a head hash."), code="invalid"
            )
        return value.lower()
