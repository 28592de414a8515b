"""Forms of the directory app: the sign-in form."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from directory.auth import (
    INVALID_CREDENTIALS_MESSAGE,
    LOCKED_OUT_MESSAGE,
    AccountLocked,
    SignInRefused,
    otp_check,
)


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
        self.otp_device = None
        self.fields["username"].widget.attrs.update(
            {"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"}
        )

    otp = forms.CharField(
        label=_("One-time code (only after enrolling a device)"), required=False, max_length=10
    )

    def confirm_login_allowed(self, user) -> None:
        # A user with a TOTP device (a councilor) also needs its code; a wrong one counts toward
        # the lockout like a wrong password.
        try:
            self.otp_device = otp_check(
                request=self.request,
                user=user,
                username=self.cleaned_data.get("username", ""),
                code=self.cleaned_data.get("otp"),
            )
        except AccountLocked:
            raise forms.ValidationError(LOCKED_OUT_MESSAGE, code="locked") from None
        except SignInRefused:
            raise forms.ValidationError(
                self.error_messages["invalid_login"], code="invalid_login"
            ) from None
        # Backends already refuse inactive users; should one not, still say nothing specific.
        if not user.is_active:
            raise forms.ValidationError(self.error_messages["invalid_login"], code="invalid_login")
