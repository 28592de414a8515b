"""TOTP for councilors (django-otp): enrolment, sign-in by session and token, lockout, reset."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from audit.models import AuditEvent
from tests.council.conftest import api, user_of
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db

LOCAL_BACKEND = "directory.backends.LocalAccountBackend"


def code_for(device: TOTPDevice, offset: int = 0) -> str:
    value = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    return f"{(value + offset) % 10**device.digits:0{device.digits}d}"


def device_for(councilor) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user_of(councilor), name="tablet", confirmed=True)


def sign_in(username: str, otp: str | None = None) -> tuple[Client, object]:
    client = Client()
    data = {"username": username, "password": TEST_PASSWORD}
    if otp is not None:
        data["otp"] = otp
    return client, client.post("/accounts/login/", data)


def test_enrolment_from_a_qr_code(council):
    client = Client()
    client.force_login(user_of(council.a), backend=LOCAL_BACKEND)
    page = client.get("/council/totp/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "<svg" in html
    secret = re.search(r'data-testid="totp-secret">([A-Z2-7]+)<', html).group(1)
    device = TOTPDevice.objects.get(user=user_of(council.a), confirmed=False)
    assert len(secret) >= 16

    wrong = client.post("/council/totp/", {"otp": code_for(device, 1)})
    assert wrong.status_code == 400
    device.refresh_from_db()
    assert device.confirmed is False

    right = client.post("/council/totp/", {"otp": code_for(device)})
    assert right.status_code == 302
    device.refresh_from_db()
    assert device.confirmed is True
    assert AuditEvent.objects.filter(action="council.totp_enrolled").count() == 1


def test_staff_have_no_enrolment_page(council):
    client = Client()
    client.force_login(user_of(council.clerk), backend=LOCAL_BACKEND)
    assert client.get("/council/totp/").status_code == 404


def test_session_sign_in_needs_the_code_once_enrolled(council):
    device = device_for(council.a)
    for otp in (None, "", "000000" if code_for(device) != "000000" else "111111", "abc"):
        client, response = sign_in("giin.a", otp)
        assert response.status_code == 200
        assert "_auth_user_id" not in client.session
    client, response = sign_in("giin.a", code_for(device))
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user_of(council.a).pk)
    assert client.session.get("otp_device_id")  # the session is verified by the second factor


def test_councilor_without_device_signs_in_with_password_only(council):
    _client, response = sign_in("giin.b")
    assert response.status_code == 302


def test_token_needs_the_code_once_enrolled(council):
    device = device_for(council.a)
    client = APIClient()
    url = "/api/v1/auth/token/"
    body = {"username": "giin.a", "password": TEST_PASSWORD}
    assert client.post(url, body, format="json").status_code == 400
    assert client.post(url, {**body, "otp": code_for(device, 3)}, format="json").status_code == 400
    response = client.post(url, {**body, "otp": code_for(device)}, format="json")
    assert response.status_code == 200
    assert response.json()["token"]


def test_wrong_codes_count_toward_the_lockout(council, settings):
    settings.AXES_FAILURE_LIMIT = 3
    device = device_for(council.a)
    client = APIClient()
    body = {"username": "giin.a", "password": TEST_PASSWORD, "otp": code_for(device, 5)}
    statuses = [
        client.post("/api/v1/auth/token/", body, format="json").status_code for _ in range(3)
    ]
    assert statuses[:2] == [400, 400]
    assert statuses[2] in (400, 429)
    # Locked now: even the right password and code are refused, at the page and the API.
    good = {**body, "otp": code_for(device)}
    assert client.post("/api/v1/auth/token/", good, format="json").status_code == 429
    _client, page = sign_in("giin.a", code_for(device))
    assert page.status_code == 429


def test_required_totp_confines_a_councilor_without_device(council, settings):
    settings.COUNCIL_REQUIRE_TOTP = True
    token = APIClient().post(
        "/api/v1/auth/token/", {"username": "giin.b", "password": TEST_PASSWORD}, format="json"
    )
    assert token.status_code == 403
    client, response = sign_in("giin.b")
    assert response.status_code == 302
    assert client.get("/council/").url == "/council/totp/"
    assert client.get("/approval/").url == "/council/totp/"
    assert client.get("/api/v1/council/meetings/").status_code == 403
    assert client.get("/council/totp/").status_code == 200
    # Staff are not affected.
    staff = Client()
    staff.force_login(user_of(council.clerk), backend=LOCAL_BACKEND)
    assert staff.get("/council/").status_code == 200


def test_secretariat_resets_a_device_and_it_is_audited(council):
    device_for(council.a)
    clerk = Client()
    clerk.force_login(user_of(council.clerk), backend=LOCAL_BACKEND)
    assert "giin.a" in clerk.get("/council/councilors/").content.decode()
    response = clerk.post(f"/council/councilors/{council.a.pk}/reset-totp/")
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=user_of(council.a)).exists()
    event = AuditEvent.objects.get(action="council.totp_reset")
    assert event.details["devices"] == 1
    # A councilor cannot reset anyone's device.
    device_for(council.b)
    councilor = Client()
    councilor.force_login(user_of(council.a), backend=LOCAL_BACKEND)
    assert councilor.post(f"/council/councilors/{council.b.pk}/reset-totp/").status_code == 404
    assert TOTPDevice.objects.filter(user=user_of(council.b)).exists()
    assert api(council.a).get("/api/v1/council/meetings/").status_code == 200
