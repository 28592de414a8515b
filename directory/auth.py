"""Sign-in services: the audit trail of sign-ins and lockouts, and API tokens.

Signal receivers (``directory.receivers``), views and API views only call these functions. Every
refusal uses one message whatever the reason (unknown user, wrong password, inactive account), so
a response never tells whether a username exists.
"""

from __future__ import annotations

import logging
import unicodedata
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token

from audit import services as audit
from audit.exceptions import KairanError, PermissionRefused, ValidationFailed
from directory.integrations import ldap
from directory.selectors import remember_person

logger = logging.getLogger(__name__)

# AuditEvent.actor_username and User.username hold 150 characters; a longer attempt is noise.
USERNAME_AUDIT_MAX_LENGTH = 150

INVALID_CREDENTIALS_MESSAGE = _("The username or password is not correct.")
OTP_ENROL_FIRST_MESSAGE = _("Enrol a one-time password device first.")
TOKEN_EXPIRED_MESSAGE = _("The API token has expired. Sign in again to get a new one.")
LOCKED_OUT_MESSAGE = _(
    "This account is temporarily locked after repeated failed sign-ins. "
    "Please try again later or contact the administrator."
)


class SignInRefused(ValidationFailed):
    """Wrong credentials, unknown user or inactive account: deliberately indistinguishable."""

    def __init__(self) -> None:
        super().__init__(str(INVALID_CREDENTIALS_MESSAGE))


class AccountLocked(KairanError):
    """The username is locked by django-axes after repeated failures."""

    status_code = 429

    def __init__(self) -> None:
        super().__init__(str(LOCKED_OUT_MESSAGE))


def attempted_username(value: Any) -> str:
    """The username as typed, safe to store: NUL characters removed, at most 150 characters."""
    text = "" if value is None else str(value)
    return text.replace("\x00", "")[:USERNAME_AUDIT_MAX_LENGTH]


def is_locked_out(request: HttpRequest | None) -> bool:
    """True when django-axes refused (or just locked) the sign-in attempt of this request."""
    return bool(getattr(request, "axes_locked_out", False))


def login_record(*, user: Any, request: HttpRequest | None, method: str = "session") -> None:
    """Audit a successful sign-in (``auth.login``); ``method`` is "session" or "token"."""
    audit.record(
        action="auth.login", actor=user, target=user, details={"method": method}, request=request
    )


def logout_record(*, user: Any, request: HttpRequest | None) -> None:
    """Audit a sign-out (``auth.logout``); ``user`` is None when the session had expired."""
    if user is None or not getattr(user, "is_authenticated", False):
        return
    audit.record(action="auth.logout", actor=user, target=user, request=request)


def login_failure_record(*, credentials: dict[str, Any], request: HttpRequest | None) -> None:
    """Audit a failed sign-in (``auth.login_failed``) with the attempted username only."""
    audit.record(
        action="auth.login_failed",
        actor=None,
        details={"username": attempted_username(credentials.get("username"))},
        request=request,
    )


def lockout_record(*, username: Any, request: HttpRequest | None) -> None:
    """Audit that a username is locked out (``auth.locked_out``); sent on each refused attempt."""
    audit.record(
        action="auth.locked_out",
        actor=None,
        details={"username": attempted_username(username)},
        request=request,
    )


def otp_check(*, request: HttpRequest, user: Any, username: str, code: Any) -> Any:
    """The second factor of a user with a confirmed TOTP device (councilors, CONTRACT.md
    "Council"): the matching device, or None when the user has none. A missing or wrong code is a
    failed sign-in, counted by django-axes like a wrong password: raises SignInRefused, or
    AccountLocked when that failure locked the username.
    """
    from django_otp import devices_for_user

    devices = list(devices_for_user(user, confirmed=True))
    if not devices:
        return None
    token = "".join(str(code or "").split())
    if token.isdigit() and len(token) <= 10:
        for device in devices:
            if device.verify_token(token):
                return device
    user_login_failed.send(
        sender=__name__, credentials={"username": attempted_username(username)}, request=request
    )
    if is_locked_out(request):
        raise AccountLocked()
    raise SignInRefused()


def otp_enrolment_missing(user: Any) -> bool:
    """A councilor without a device while ``KAIRAN_COUNCIL_REQUIRE_TOTP`` is on (no API token)."""
    from django_otp import devices_for_user

    from directory.models import Person

    if not getattr(settings, "COUNCIL_REQUIRE_TOTP", False):
        return False
    is_councilor = Person.objects.filter(user=user, kind=Person.Kind.COUNCILOR).exists()
    return is_councilor and not list(devices_for_user(user, confirmed=True))


def token_issue(
    *, request: HttpRequest, username: str, password: str, otp: str | None = None
) -> Token:
    """Check the credentials (and the TOTP code of a user with a device) and return the user's
    API token: created on first use, replaced by a fresh key once expired (``KAIRAN_TOKEN_DAYS``).

    ``request`` is Django's HttpRequest, which django-axes needs to count failures.
    Raises AccountLocked (429), SignInRefused (400), or PermissionRefused (403) for a councilor
    who must enrol a device first.
    """
    user = authenticate(request=request, username=username, password=password)
    if user is None:
        if is_locked_out(request):
            raise AccountLocked()
        raise SignInRefused()
    otp_check(request=request, user=user, username=username, code=otp)
    if otp_enrolment_missing(user):
        raise PermissionRefused(str(OTP_ENROL_FIRST_MESSAGE))
    with transaction.atomic():
        # Rotation: an expired key is never handed out again.
        expired = [t.pk for t in Token.objects.filter(user=user) if token_is_expired(t)]
        rotated = bool(expired) and Token.objects.filter(pk__in=expired).delete()[0] > 0
        token, created = Token.objects.get_or_create(user=user)
        # Never the key itself: the audit log is readable by auditors, the key is a credential.
        audit.record(
            action="auth.token_issued",
            actor=user,
            target=user,
            details={"created": created, "rotated": rotated},
            request=request,
        )
    # The same signal as a browser sign-in, so last_login is updated, axes resets the failure
    # count and the receiver records auth.login (method "token").
    user_logged_in.send(sender=user.__class__, request=request, user=user, method="token")
    return token


def token_expires_at(token: Token) -> datetime | None:
    """When ``token`` stops being accepted: ``KAIRAN_TOKEN_DAYS`` after it was issued (None when
    tokens do not expire, ``KAIRAN_TOKEN_DAYS=0``)."""
    days = int(getattr(settings, "TOKEN_DAYS", 0) or 0)
    return token.created + timedelta(days=days) if days > 0 else None


def token_is_expired(token: Token) -> bool:
    expires_at = token_expires_at(token)
    return expires_at is not None and timezone.now() >= expires_at


class ExpiringTokenAuthentication(TokenAuthentication):
    """DRF's ``Authorization: Token <key>`` with expiry: an expired key answers 401 (the
    client asks POST /api/v1/auth/token/ for a fresh one)."""

    def authenticate_credentials(self, key: str) -> tuple[Any, Token]:
        # DRF's, with the user's directory person read in the same statement: the approval API
        # asks who the person is on every action (``person_for_user``), one query fewer.
        try:
            token = Token.objects.select_related("user", "user__person").get(key=key)
        except Token.DoesNotExist:
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from None
        user = token.user
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        if token_is_expired(token):
            raise exceptions.AuthenticationFailed(str(TOKEN_EXPIRED_MESSAGE))
        remember_person(user, getattr(user, "person", None))
        return user, token


@transaction.atomic
def token_revoke(*, user: Any, request: HttpRequest | None) -> bool:
    """Delete the user's API token; returns whether there was one. Audited either way."""
    deleted, _details = Token.objects.filter(user=user).delete()
    audit.record(
        action="auth.token_revoked",
        actor=user,
        target=user,
        details={"had_token": bool(deleted)},
        request=request,
    )
    return bool(deleted)


def username_fold(value: Any) -> str:
    """A username as directories compare it (RFC 4518 string preparation, simplified): format
    and control characters dropped, NFKC, case-folded, spaces trimmed and runs of them made one.

    "ｋｉｍｕｒａ．ｍｉｓａｋｉ", "Kimura.Misaki " and "kimura\u200b.misaki" all fold to
    "kimura.misaki".
    """
    text = attempted_username(value)
    kept = []
    for char in text:
        category = unicodedata.category(char)
        if char.isspace():
            kept.append(" ")
        elif category not in ("Cc", "Cf") and char not in _MAPPED_TO_NOTHING:
            kept.append(char)
    folded = unicodedata.normalize("NFKC", "".join(kept)).casefold()
    # Case folding can leave a string that is not NFKC any more (e.g. "ß" → "ss" is fine, but
    # some letters fold to a decomposed form); normalise once more.
    folded = unicodedata.normalize("NFKC", folded)
    return " ".join(folded.split())


# Mapped to nothing by RFC 4518 §2.2 besides the Cc and Cf categories.
_MAPPED_TO_NOTHING = frozenset("\u00ad\u1806\u034f\u180b\u180c\u180d\ufffc") | frozenset(
    chr(code) for code in range(0xFE00, 0xFE10)
)


def lockout_username(request: HttpRequest | None, credentials: dict[str, Any] | None) -> str:
    """The key django-axes counts failures under: one key per account, whatever the spelling.

    With the directory on, the key is the username of the directory entry the typed name finds
    (the directory matches ignoring case, width and compatibility forms, so "ｋｉｍｕｒａ" and
    "kimura" are one account and must share one count); otherwise, or when no single entry is
    found or the directory cannot be reached, the typed name folded (``username_fold``). Axes
    asks several times per request: the answer is kept on the request.
    """
    value: Any = None
    if credentials:
        value = credentials.get("username")
    elif request is not None:
        value = request.POST.get("username")
    typed = attempted_username(value)
    cache: dict[str, str] | None = None
    if request is not None:
        cache = request.__dict__.setdefault("_kairan_lockout_keys", {})
        if typed in cache:
            return cache[typed]
    key = username_fold(_directory_username(typed) or typed)
    if cache is not None:
        cache[typed] = key
    return key


def _directory_username(typed: str) -> str | None:
    if not (getattr(settings, "LDAP", None) or {}).get("URL"):
        return None
    try:
        return ldap.entry_username(username=typed.strip())
    except ldap.DirectoryError as exc:
        logger.warning("Directory unreachable for the lockout key, the name is folded: %s", exc)
        return None
