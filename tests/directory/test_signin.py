"""Browser sign-in at /accounts/login/: success, refusals that reveal nothing, audit, sign-out."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from audit.models import AuditEvent
from directory import auth
from directory.models import OrgUnit, Source
from tests.factories import TEST_PASSWORD, OrgUnitFactory, make_person

pytestmark = pytest.mark.django_db

LOGIN_URL = "/accounts/login/"
# force_login would otherwise pick the first backend with get_user (the LDAP one).
LOCAL_BACKEND = "directory.backends.LocalAccountBackend"


def _normalised(body: bytes, typed_username: str) -> str:
    """The page without what legitimately differs between two requests (CSRF tokens, echo)."""
    text = body.decode()
    text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "CSRF", text)
    text = re.sub(r'"X-CSRFToken": "[^"]+"', "CSRF", text)
    return text.replace(typed_username, "TYPED")


@pytest.fixture
def kacho():
    division = OrgUnitFactory(name="財政課", level=OrgUnit.Level.DIVISION)
    return make_person("zaisei.kacho", "財政 花子", division, "課長")


def test_local_account_signs_in_and_sees_name_unit_and_position(client, kacho):
    response = client.post(LOGIN_URL, {"username": "zaisei.kacho", "password": TEST_PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.session["_auth_user_id"] == str(kacho.user.pk)
    home = client.get("/").content.decode()
    assert 'data-testid="person-name">財政 花子<' in home
    assert 'data-testid="person-unit">財政課<' in home
    assert 'data-testid="person-position">課長<' in home
    event = AuditEvent.objects.get(action="auth.login")
    assert event.actor_username == "zaisei.kacho"
    assert event.details == {"method": "session"}


def test_next_parameter_is_followed_after_sign_in(client, kacho):
    response = client.post(
        LOGIN_URL,
        {"username": "zaisei.kacho", "password": TEST_PASSWORD, "next": "/records/"},
    )

    assert response["Location"] == "/records/"


def test_wrong_password_and_unknown_username_get_the_same_answer(client, kacho):
    wrong = client.post(LOGIN_URL, {"username": "zaisei.kacho", "password": "nope"})
    unknown = client.post(LOGIN_URL, {"username": "nobody.here", "password": "nope"})

    assert wrong.status_code == unknown.status_code == 200
    assert _normalised(wrong.content, "zaisei.kacho") == _normalised(unknown.content, "nobody.here")
    assert "ユーザー名またはパスワードが正しくありません。" in wrong.content.decode()
    assert "_auth_user_id" not in client.session


def test_inactive_account_gets_the_same_answer_as_a_wrong_password(client, kacho):
    kacho.user.is_active = False
    kacho.user.save(update_fields=["is_active"])

    inactive = client.post(LOGIN_URL, {"username": "zaisei.kacho", "password": TEST_PASSWORD})
    wrong = client.post(LOGIN_URL, {"username": "zaisei.kacho", "password": "nope"})

    assert inactive.status_code == 200
    assert _normalised(inactive.content, "x") == _normalised(wrong.content, "x")
    assert "_auth_user_id" not in client.session


def test_failures_are_audited_with_the_username_and_never_the_password(client, kacho):
    client.post(LOGIN_URL, {"username": "zaisei.kacho", "password": "s3cret-guess"})
    client.post(LOGIN_URL, {"username": "nobody.here", "password": "s3cret-guess"})

    events = list(AuditEvent.objects.filter(action="auth.login_failed"))
    assert [e.details for e in events] == [
        {"username": "zaisei.kacho"},
        {"username": "nobody.here"},
    ]
    assert all(e.actor_id is None and e.client_address == "127.0.0.1" for e in events)
    assert not AuditEvent.objects.filter(details__icontains="s3cret").exists()


def test_audited_username_is_truncated_and_has_no_nul():
    auth.login_failure_record(credentials={"username": "ab\x00" * 100}, request=None)

    event = AuditEvent.objects.get(action="auth.login_failed")
    assert event.details["username"] == ("ab" * 100)[:150]


def test_directory_person_cannot_sign_in_with_a_local_password(client):
    person = make_person("ldap.user", "ディレクトリ 太郎", None, source=Source.DIRECTORY)
    assert person.user.check_password(TEST_PASSWORD)  # a stale local password exists

    response = client.post(LOGIN_URL, {"username": "ldap.user", "password": TEST_PASSWORD})

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(
        action="auth.login_failed", details__username="ldap.user"
    ).exists()


def test_sign_out_needs_post_and_is_audited(client, kacho):
    client.force_login(kacho.user, backend=LOCAL_BACKEND)

    assert client.get(reverse("logout")).status_code == 405
    response = client.post(reverse("logout"))

    assert response.status_code == 302
    assert response["Location"] == LOGIN_URL
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action="auth.logout", actor_username="zaisei.kacho").exists()


def test_signed_in_user_visiting_the_login_page_goes_home(client, kacho):
    client.force_login(kacho.user, backend=LOCAL_BACKEND)

    assert client.get(LOGIN_URL)["Location"] == "/"


def test_bare_superuser_header_falls_back_to_the_username(client):
    admin = get_user_model().objects.create_superuser("breakglass", password=TEST_PASSWORD)
    client.force_login(admin, backend=LOCAL_BACKEND)

    home = client.get("/").content.decode()

    assert 'data-testid="person-name">breakglass<' in home
    assert 'data-testid="person-unit"' not in home


@pytest.mark.parametrize("username", ["kacho\x00", "\x00", "ka\x00cho"])
def test_username_with_nul_is_refused_without_a_database_error(rf, kacho, username):
    # On PostgreSQL a NUL in a query parameter raises DataError (a 500) unless refused first.
    from django.contrib.auth import authenticate

    request = rf.post("/accounts/login/")
    assert authenticate(request, username=username, password=TEST_PASSWORD) is None
    assert AuditEvent.objects.filter(action="auth.login_failed").exists()
