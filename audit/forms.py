"""Forms of the auditor pages: filters of the log and the head-hash check."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _


class EventFilterForm(forms.Form):
    action = forms.CharField(label=_("Action"), required=False, max_length=100)
    actor = forms.CharField(label=_("User name"), required=False, max_length=150)
    target_type = forms.CharField(label=_("Target type"), required=False, max_length=100)
    target_id = forms.CharField(label=_("Target id"), required=False, max_length=100)
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    before = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)
    after = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            raise forms.ValidationError(_("The start date must not be after the end date."))
        return data

    def filters(self) -> dict[str, Any]:
        """The filters for ``events_list`` (valid form only)."""
        names = ("action", "actor", "target_type", "target_id", "date_from", "date_to")
        return {name: self.cleaned_data[name] for name in names}


class VerifyForm(forms.Form):
    expect_head = forms.CharField(
        label=_("Head hash written down earlier"),
        required=False,
        max_length=64,
        validators=[
            RegexValidator(r"^[0-9a-fA-F]{64}$", _("Enter the 64 hexadecimal digits of a hash."))
        ],
    )
