"""Forms of the records screens. Validation of files is the services' (validation.py)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from audit.validators import validate_title
from documents.models import Classification, Retention


class UploadForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200, validators=[validate_title])
    file = forms.FileField(label=_("File"))
    binder = forms.TypedChoiceField(label=_("Binder"), coerce=int, required=False, empty_value=None)
    classification = forms.ChoiceField(
        label=_("Classification"),
        choices=[("", _("As the binder (or internal)")), *Classification.choices],
        required=False,
    )

    def __init__(self, *args, binders=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["binder"].choices = [("", _("Not filed yet")), *binders]


class VersionForm(forms.Form):
    file = forms.FileField(label=_("File of the new version"))


class BinderForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200, validators=[validate_title])
    fiscal_year = forms.IntegerField(label=_("Fiscal year"), min_value=1900, max_value=2999)
    retention = forms.TypedChoiceField(
        label=_("Retention period"), choices=Retention.choices, coerce=int
    )
    classification = forms.ChoiceField(
        label=_("Classification"), choices=Classification.choices, initial="internal"
    )


class RegisterEntryForm(forms.Form):
    on = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    counterpart = forms.CharField(
        label=_("Sender or addressee"), max_length=200, validators=[validate_title]
    )
    subject = forms.CharField(label=_("Subject"), max_length=200, validators=[validate_title])
    proposal = forms.IntegerField(
        label=_("Decided proposal (id, outgoing only)"), min_value=1, required=False
    )
