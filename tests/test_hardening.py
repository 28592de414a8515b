"""Issue 9, probe 6 (hardening): HSTS, the SSL redirect and the proxy's HTTPS header settable by
KAIRAN_*; secure cookies by default except on plain HTTP on loopback; a session idle timeout;
API tokens that expire and are replaced; the OpenAPI schema for signed-in users only."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from audit.models import AuditEvent

ROOT = Path(__file__).resolve().parent.parent
LOCAL_BACKEND = "directory.backends.LocalAccountBackend"
KEYS = (
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_SSL_REDIRECT",
    "SECURE_PROXY_SSL_HEADER",
    "SESSION_COOKIE_AGE",
    "TOKEN_DAYS",
)
PROBE = (
    "import django, json; django.setup(); from django.conf import settings;"
    f"print(json.dumps({{k: getattr(settings, k) for k in {KEYS!r}}}))"
)


def settings_with(tmp_path, **env: str) -> dict:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("KAIRAN_")}
    clean |= {"DJANGO_SETTINGS_MODULE": "config.settings", "KAIRAN_DATA_DIR": str(tmp_path)}
    clean |= {f"KAIRAN_{k}": v for k, v in env.items()}
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(result.stdout)


# --- settings ----------------------------------------------------------------------------------


def test_the_embedded_default_keeps_plain_http_on_loopback_working(tmp_path):
    out = settings_with(tmp_path)

    assert out["SESSION_COOKIE_SECURE"] is False
    assert out["CSRF_COOKIE_SECURE"] is False
    assert out["SECURE_HSTS_SECONDS"] == 0
    assert out["SECURE_SSL_REDIRECT"] is False
    assert out["SECURE_PROXY_SSL_HEADER"] is None
    assert out["SESSION_COOKIE_AGE"] == 30 * 60
    assert out["TOKEN_DAYS"] == 30


def test_a_real_host_name_gets_secure_cookies_by_default(tmp_path):
    out = settings_with(tmp_path, ALLOWED_HOSTS="kairan.example.lg.jp")
    debug = settings_with(tmp_path, ALLOWED_HOSTS="kairan.example.lg.jp", DEBUG="1")
    opted_out = settings_with(tmp_path, ALLOWED_HOSTS="kairan.example.lg.jp", SECURE_COOKIES="0")
    loopback_opted_in = settings_with(tmp_path, SECURE_COOKIES="1")

    assert out["SESSION_COOKIE_SECURE"] is True
    assert out["CSRF_COOKIE_SECURE"] is True
    assert debug["SESSION_COOKIE_SECURE"] is False
    assert opted_out["SESSION_COOKIE_SECURE"] is False
    assert loopback_opted_in["SESSION_COOKIE_SECURE"] is True


def test_hsts_ssl_redirect_proxy_header_idle_time_and_token_days_come_from_kairan_variables(
    tmp_path,
):
    out = settings_with(
        tmp_path,
        HSTS_SECONDS="31536000",
        HSTS_INCLUDE_SUBDOMAINS="1",
        SSL_REDIRECT="1",
        PROXY_SSL_HEADER="X-Forwarded-Proto: https",
        SESSION_IDLE_MINUTES="15",
        TOKEN_DAYS="7",
    )
    name_only = settings_with(tmp_path, PROXY_SSL_HEADER="X-Forwarded-Proto")

    assert out["SECURE_HSTS_SECONDS"] == 31536000
    assert out["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert out["SECURE_SSL_REDIRECT"] is True
    assert out["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert out["SESSION_COOKIE_AGE"] == 15 * 60
    assert out["TOKEN_DAYS"] == 7
    assert name_only["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]


@pytest.mark.django_db
def test_hsts_and_the_redirect_apply_to_responses(settings, org):
    settings.SECURE_HSTS_SECONDS = 3600
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    client = Client()

    plain = client.get("/accounts/login/")
    proxied = client.get("/accounts/login/", HTTP_X_FORWARDED_PROTO="https")

    assert plain.status_code == 301
    assert plain["Location"].startswith("https://")
    assert proxied.status_code == 200
    assert proxied["Strict-Transport-Security"] == "max-age=3600"


# --- session idle timeout ----------------------------------------------------------------------


@pytest.mark.django_db
def test_a_session_ends_after_thirty_idle_minutes(org):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client = Client()
        client.force_login(org.zaisei_staff.user, backend=LOCAL_BACKEND)
        assert client.get("/records/").status_code == 200
    with time_machine.travel(start + timedelta(minutes=31), tick=False):
        response = client.get("/records/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_activity_keeps_a_session_alive(org):
    start = timezone.now()
    client = Client()
    with time_machine.travel(start, tick=False):
        client.force_login(org.zaisei_staff.user, backend=LOCAL_BACKEND)
    for minutes in (20, 40, 60, 80):
        with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
            assert client.get("/records/").status_code == 200, minutes
    with time_machine.travel(start + timedelta(minutes=111), tick=False):
        assert client.get("/records/").status_code == 302


# --- API tokens: expiry and rotation -----------------------------------------------------------


@pytest.fixture
def password_user(org):
    user = org.zaisei_staff.user
    user.set_password("kairan-test-pw-2026")
    user.save()
    return user


def _issue(user) -> str:
    response = APIClient().post(
        "/api/v1/auth/token/",
        {"username": user.username, "password": "kairan-test-pw-2026"},
        format="json",
    )
    assert response.status_code == 200, response.content
    return response.json()["token"]


@pytest.mark.django_db
def test_an_expired_token_answers_401_and_a_new_sign_in_issues_a_fresh_key(password_user):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        key = _issue(password_user)
        assert _issue(password_user) == key  # within its life, the same key
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    with time_machine.travel(start + timedelta(days=29), tick=False):
        assert client.get("/api/v1/me/").status_code == 200
    with time_machine.travel(start + timedelta(days=30, minutes=1), tick=False):
        expired = client.get("/api/v1/me/")
        fresh = _issue(password_user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {fresh}")
        again = client.get("/api/v1/me/")

    assert expired.status_code == 401
    assert "有効期限" in expired.json()["detail"]
    assert fresh != key
    assert again.status_code == 200
    assert list(Token.objects.filter(user=password_user).values_list("key", flat=True)) == [fresh]
    last = AuditEvent.objects.filter(action="auth.token_issued").order_by("-seq").first()
    assert last.details == {"created": True, "rotated": True}


@pytest.mark.django_db
def test_token_days_zero_means_tokens_do_not_expire(password_user, settings):
    settings.TOKEN_DAYS = 0
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        key = _issue(password_user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    with time_machine.travel(start + timedelta(days=3650), tick=False):
        assert client.get("/api/v1/me/").status_code == 200


# --- the OpenAPI schema ------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_schema_is_for_signed_in_users_only(org):
    anonymous = APIClient().get("/api/schema/")
    signed_in = APIClient()
    signed_in.force_authenticate(org.zaisei_staff.user)

    assert anonymous.status_code in {401, 403}
    assert signed_in.get("/api/schema/").status_code == 200
