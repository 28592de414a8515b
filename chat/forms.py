"""Forms of the auditors' chat records page: the criteria of an export or a legal hold."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.validators import validate_date_in_range, validate_title


def day_start(day: date | None) -> datetime | None:
    return timezone.make_aware(datetime.combine(day, time.min)) if day else None


def day_after(day: date | None) -> datetime | None:
    """The end of a period given by its last day (inclusive): the next day's start."""
    return day_start(day + timedelta(days=1)) if day else None


class CriteriaForm(forms.Form):
    """A room and/or a person, and a period by days (both ends included; either may be open)."""

    room = forms.TypedChoiceField(label=_("Room"), coerce=int, required=False, empty_value=None)
    person = forms.CharField(
        label=_("Person (user name)"),
        max_length=150,
        required=False,
        help_text=_("Their own messages and those of the rooms they are in, direct ones too."),
        # The page lists the people (name → user name) in a <datalist>.
        widget=forms.TextInput(attrs={"list": "chat-people", "autocomplete": "off"}),
    )
    start = forms.DateField(
        label=_("From (date)"),
        required=False,
        validators=[validate_date_in_range],
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    end = forms.DateField(
        label=_("Until (date, included)"),
        required=False,
        validators=[validate_date_in_range],
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args: Any, rooms: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["room"].choices = [("", _("All rooms (name a person)")), *rooms]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not data.get("room") and not data.get("person"):
            raise forms.ValidationError(_("Name a room or a person."))
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", _("The end of the period must come after its start."))
        return data

    def criteria(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "room_id": data.get("room"),
            "username": (data.get("person") or "").strip() or None,
            "start": day_start(data.get("start")),
            "end": day_after(data.get("end")),
        }


class ExportForm(CriteriaForm):
    output = forms.ChoiceField(
        label=_("Format"),
        choices=[("csv", _("CSV (for a spreadsheet)")), ("json", "JSON")],
        initial="csv",
        widget=forms.RadioSelect,
    )


class LegalHoldForm(CriteriaForm):
    reason = forms.CharField(
        label=_("Reason (e.g. the disclosure request or case number)"),
        max_length=200,
        validators=[validate_title],
    )
