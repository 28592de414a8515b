"""Forms of the directory app: the sign-in form."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from directory.auth import INVALID_CREDENTIALS_MESSAGE


class SignInForm(AuthenticationForm):
    """Django's form with one message for every refusal, so it never reveals who exists."""

    error_messages = {
        "invalid_login": INVALID_CREDENTIALS_MESSAGE,
        "inactive": INVALID_CREDENTIALS_MESSAGE,
    }

    def __init__(self, request=None, *args, **kwargs) -> None:
        super().__init__(request, *args, **kwargs)
        self.fields["username"].label = _("Username")
        self.fields["password"].label = _("Password")
        self.fields["username"].widget.attrs.update(
            {"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"}
        )

    def confirm_login_allowed(self, user) -> None:
        # Backends already refuse inactive users; should one not, still say nothing specific.
        if not user.is_active:
            raise forms.ValidationError(self.error_messages["invalid_login"], code="invalid_login")
