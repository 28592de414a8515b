"""With ``KAIRAN_COUNCIL_REQUIRE_TOTP`` on, a councilor without a confirmed TOTP device reaches
only the enrolment page (and sign-out, static files, the language switch); the API answers 403.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _

ALLOWED_PREFIXES = ("/accounts/", "/static/", "/i18n/", "/council/totp/", "/favicon")


class TotpEnrolmentMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if getattr(settings, "COUNCIL_REQUIRE_TOTP", False) and _needs_enrolment(request):
            if request.path_info.startswith("/api/"):
                return JsonResponse(
                    {"detail": _("Enrol a one-time password device first.")},
                    status=403,
                    json_dumps_params={"ensure_ascii": False},
                )
            return HttpResponseRedirect(reverse("council:totp-enrol"))
        return self.get_response(request)


def _needs_enrolment(request) -> bool:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return False
    if request.path_info.startswith(ALLOWED_PREFIXES):
        return False
    from council import totp

    return totp.is_councilor_user(user) and not totp.has_device(user)
