"""POST/DELETE /api/v1/auth/token/ and GET /api/v1/me/ (CONTRACT.md "Authentication")."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from audit.models import AuditEvent
from directory.auth import ExpiringTokenAuthentication
from directory.models import OrgUnit, Source
from directory.selectors import person_for_user
from tests.factories import TEST_PASSWORD, OrgUnitFactory, UserFactory, make_person

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"
ME_URL = "/api/v1/me/"
GENERIC = "ユーザー名またはパスワードが正しくありません。"


@pytest.fixture
def api():
    # CSRF enforced as a browser would: the token endpoint must not depend on it.
    return APIClient(enforce_csrf_checks=True)


@pytest.fixture
def staff():
    section = OrgUnitFactory(name="財政係", level=OrgUnit.Level.SECTION)
    return make_person("zaisei.staff", "財政 主事", section, "主事")


def test_token_for_good_credentials_works_on_an_authenticated_endpoint(api, staff):
    response = api.post(TOKEN_URL, {"username": "zaisei.staff", "password": TEST_PASSWORD})

    assert response.status_code == 200
    key = response.json()["token"]
    assert Token.objects.get(user=staff.user).key == key
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    me = api.get(ME_URL)
    assert me.status_code == 200
    assert me.json() == {
        "username": "zaisei.staff",
        "display_name": "財政 主事",
        "unit": "財政係",
        "position": "主事",
    }


def test_token_issue_is_audited_without_the_key(api, staff):
    key = api.post(TOKEN_URL, {"username": "zaisei.staff", "password": TEST_PASSWORD}).json()[
        "token"
    ]

    issued = AuditEvent.objects.get(action="auth.token_issued")
    login = AuditEvent.objects.get(action="auth.login")
    assert issued.actor_username == login.actor_username == "zaisei.staff"
    assert login.details == {"method": "token"}
    assert not AuditEvent.objects.filter(target_id=key).exists()
    assert not AuditEvent.objects.filter(details__icontains=key).exists()
    staff.user.refresh_from_db()
    assert staff.user.last_login is not None


def test_second_sign_in_returns_the_same_token(api, staff):
    first = api.post(TOKEN_URL, {"username": "zaisei.staff", "password": TEST_PASSWORD})
    second = api.post(TOKEN_URL, {"username": "zaisei.staff", "password": TEST_PASSWORD})

    assert first.json()["token"] == second.json()["token"]
    assert Token.objects.count() == 1


def test_wrong_password_and_unknown_user_get_the_same_400(api, staff):
    wrong = api.post(TOKEN_URL, {"username": "zaisei.staff", "password": "nope"}, format="json")
    unknown = api.post(TOKEN_URL, {"username": "nobody", "password": "nope"}, format="json")

    assert wrong.status_code == unknown.status_code == 400
    assert wrong.json() == unknown.json() == {"detail": GENERIC}
    assert not Token.objects.exists()
    assert AuditEvent.objects.filter(action="auth.login_failed").count() == 2


def test_inactive_user_gets_the_same_400(api, staff):
    staff.user.is_active = False
    staff.user.save(update_fields=["is_active"])

    response = api.post(TOKEN_URL, {"username": "zaisei.staff", "password": TEST_PASSWORD})

    assert response.status_code == 400
    assert response.json() == {"detail": GENERIC}
    assert not Token.objects.exists()


def test_directory_person_gets_no_token_with_a_local_password(api):
    make_person("ldap.user", "ディレクトリ 太郎", None, source=Source.DIRECTORY)

    response = api.post(TOKEN_URL, {"username": "ldap.user", "password": TEST_PASSWORD})

    assert response.status_code == 400
    assert response.json() == {"detail": GENERIC}


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"username": "zaisei.staff"},
        {"password": TEST_PASSWORD},
        {"username": "", "password": "x"},
    ],
)
def test_missing_fields_are_400_and_no_sign_in_attempt(api, staff, payload):
    response = api.post(TOKEN_URL, payload, format="json")

    assert response.status_code == 400
    assert response.json()["detail"]
    assert not Token.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="auth.").exists()


def test_password_whitespace_is_significant(api, staff):
    response = api.post(TOKEN_URL, {"username": "zaisei.staff", "password": f" {TEST_PASSWORD} "})

    assert response.status_code == 400


def test_locked_username_gets_429_even_with_the_right_password(api, staff):
    statuses = [
        api.post(TOKEN_URL, {"username": "zaisei.staff", "password": f"wrong{i}"}).status_code
        for i in range(5)
    ]
    response = api.post(TOKEN_URL, {"username": "zaisei.staff", "password": TEST_PASSWORD})

    assert statuses == [400, 400, 400, 400, 429]
    assert response.status_code == 429
    assert "一時的にロックされています" in response.json()["detail"]
    assert set(response.json()) == {"detail"}
    assert not Token.objects.exists()
    assert AuditEvent.objects.filter(
        action="auth.locked_out", details__username="zaisei.staff"
    ).exists()


def test_locked_unknown_username_gets_the_same_429(api, staff):
    for name in ("zaisei.staff", "ghost"):
        for i in range(5):
            api.post(TOKEN_URL, {"username": name, "password": f"wrong{i}"})

    known = api.post(TOKEN_URL, {"username": "zaisei.staff", "password": "x"})
    unknown = api.post(TOKEN_URL, {"username": "ghost", "password": "x"})

    assert known.status_code == unknown.status_code == 429
    assert known.json() == unknown.json()


def test_anonymous_me_is_401_with_a_token_challenge(api):
    response = api.get(ME_URL)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert set(response.json()) == {"detail"}


def test_bad_token_is_401(api):
    api.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")

    assert api.get(ME_URL).status_code == 401


def test_delete_revokes_the_token_and_is_audited(api, staff):
    key = api.post(TOKEN_URL, {"username": "zaisei.staff", "password": TEST_PASSWORD}).json()[
        "token"
    ]
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")

    response = api.delete(TOKEN_URL)

    assert response.status_code == 204
    assert not Token.objects.filter(user=staff.user).exists()
    assert api.get(ME_URL).status_code == 401
    event = AuditEvent.objects.get(action="auth.token_revoked")
    assert event.actor_username == "zaisei.staff"


def test_delete_without_a_token_is_401(api):
    response = api.delete(TOKEN_URL)

    assert response.status_code == 401
    assert not AuditEvent.objects.exists()


def test_token_authentication_reads_the_person_with_the_user(staff, django_assert_num_queries):
    """One statement for the token, its user and their person: the approval API asks who the
    person is on every action, and the answer comes from that read (issue 14, item 4)."""
    key = Token.objects.create(user=staff.user).key
    with django_assert_num_queries(1):
        user, _token = ExpiringTokenAuthentication().authenticate_credentials(key)
        assert person_for_user(user) == staff

    nobody = Token.objects.create(user=UserFactory(username="bare.admin")).key
    with django_assert_num_queries(1):
        user, _token = ExpiringTokenAuthentication().authenticate_credentials(nobody)
        assert person_for_user(user) is None


def test_a_bad_token_is_still_401(api, staff):
    api.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef0123456789abcdef01234567")
    assert api.get(ME_URL).status_code == 401
    staff.user.is_active = False
    staff.user.save()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=staff.user).key}")
    assert api.get(ME_URL).status_code == 401
