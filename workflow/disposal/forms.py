"""The disposal screen's form: the binders ticked on the disposal-due list."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


class IdListField(forms.Field):
    """Several ids under one name (ticked checkboxes): a list of positive integers."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {"invalid": _("Choose from the list.")}

    def to_python(self, value):
        if value in self.empty_values:
            return []
        values = value if isinstance(value, list | tuple) else [value]
        try:
            ids = [int(v) for v in values]
        except (TypeError, ValueError):
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None
        if any(pk < 1 for pk in ids):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return list(dict.fromkeys(ids))


class DisposalProposeForm(forms.Form):
    """The binders ticked on the disposal-due list; ``workflow.disposal.services`` checks each
    one."""

    binders = IdListField(
        label=_("Binders"),
        error_messages={"required": _("Choose at least one binder to dispose of.")},
    )
