"""Lockout key: every spelling the directory accepts for one account shares one failure count.

Against a real slapd: the directory matches ``uid`` ignoring case and width, so after five wrong
passwords for ``tanaka`` the full-width ``ｔａｎａｋａ`` (or a mixed-width spelling) with the right
password must be refused too — at the sign-in page and at the token endpoint alike.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import authenticate
from rest_framework.test import APIClient

from directory.auth import lockout_username, username_fold
from tests.directory.test_ldap_auth import TANAKA_PASSWORD

pytestmark = pytest.mark.django_db

LOGIN_URL = "/accounts/login/"
TOKEN_URL = "/api/v1/auth/token/"

SPELLINGS = [
    "ｔａｎａｋａ",  # full width
    "ｔanaka",  # mixed width
    "tａnａka",
    "TANAKA",
    "Ｔａｎａｋａ ",  # full-width capital, trailing space
    "tana\u200bka",  # a zero-width space inside
]


@pytest.mark.parametrize(
    ("typed", "folded"),
    [
        ("ｋｉｍｕｒａ．ｍｉｓａｋｉ", "kimura.misaki"),
        ("ｋimura.misaki", "kimura.misaki"),
        ("Kimura.Misaki ", "kimura.misaki"),
        ("kimura\u200b.misaki", "kimura.misaki"),
        ("kimura\u00ad.misaki", "kimura.misaki"),
        ("  kimura   misaki\t", "kimura misaki"),
        ("ﾔﾏﾀﾞ", "ヤマダ"),  # half-width katakana composes to full width
        ("Straße", "strasse"),
        ("\u212bngstrom", "ångstrom"),  # ANGSTROM SIGN is NFKC-equivalent to Å
    ],
)
def test_username_fold(typed, folded):
    assert username_fold(typed) == folded


def test_without_a_directory_the_key_is_the_folded_name(rf, settings):
    settings.LDAP = {}
    request = rf.post(LOGIN_URL, {"username": "ｋｉｍｕｒａ．ｍｉｓａｋｉ"})

    assert lockout_username(request, None) == "kimura.misaki"
    assert lockout_username(None, {"username": "ＫＩＭＵＲＡ.misaki"}) == "kimura.misaki"


@pytest.mark.ldap
def test_the_directory_finds_every_spelling_and_the_key_is_its_entry(
    rf, ldap_settings, ldap_directory
):
    ldap_directory.load("city")

    keys = {lockout_username(rf.post(LOGIN_URL), {"username": typed}) for typed in SPELLINGS}

    assert keys == {"tanaka"}
    # And the directory really accepts them: the bypass this closes was a real sign-in.
    user = authenticate(rf.post(LOGIN_URL), username="ｔａｎａｋａ", password=TANAKA_PASSWORD)
    assert user is not None
    assert user.username == "tanaka"


@pytest.mark.ldap
@pytest.mark.parametrize("spelling", SPELLINGS)
def test_spellings_share_one_lockout_at_the_sign_in_page(
    client, ldap_settings, ldap_directory, spelling
):
    ldap_directory.load("city")
    for i in range(5):
        client.post(LOGIN_URL, {"username": "tanaka", "password": f"wrong-{i}"})

    refused = client.post(LOGIN_URL, {"username": spelling, "password": TANAKA_PASSWORD})

    assert refused.status_code == 429
    assert "_auth_user_id" not in client.session


@pytest.mark.ldap
def test_failures_under_different_spellings_add_up_and_lock_the_token_endpoint(
    ldap_settings, ldap_directory
):
    ldap_directory.load("city")
    api_client = APIClient(enforce_csrf_checks=True)
    for spelling in SPELLINGS[:5]:
        api_client.post(TOKEN_URL, {"username": spelling, "password": "wrong"}, format="json")

    for typed in ["tanaka", "ｔａｎａｋａ", "Tａnaka"]:
        refused = api_client.post(
            TOKEN_URL, {"username": typed, "password": TANAKA_PASSWORD}, format="json"
        )
        assert refused.status_code == 429, typed
        assert "token" not in refused.json()


@pytest.mark.ldap
def test_an_unknown_name_is_counted_under_its_folded_spelling(
    client, ldap_settings, ldap_directory
):
    ldap_directory.load("city")
    for typed in ["ｇｈｏｓｔ", "Ghost", "ｇhost", "GHOST", "ghost"]:
        client.post(LOGIN_URL, {"username": typed, "password": "wrong"})

    assert client.post(LOGIN_URL, {"username": "ghost", "password": "x"}).status_code == 429
    # Another account is untouched.
    ok = client.post(LOGIN_URL, {"username": "tanaka", "password": TANAKA_PASSWORD})
    assert ok.status_code == 302
