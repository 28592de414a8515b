"""Form fields the proposal and DX screens share."""

from __future__ import annotations

import unicodedata

from django import forms

from audit.validators import validate_amount_yen


class YenField(forms.IntegerField):
    """Whole yen, at most AMOUNT_MAX_YEN; accepts 1,000,000, full-width digits and a trailing 円."""

    default_validators = [validate_amount_yen]

    def to_python(self, value):
        if isinstance(value, str):
            value = unicodedata.normalize("NFKC", value)
            value = value.replace(",", "").replace("円", "").replace(" ", "").strip()
        return super().to_python(value)
