"""Lockout (django-axes): five failures lock the username, not the address, with one message."""

from __future__ import annotations

import re

import pytest

from audit.models import AuditEvent
from tests.factories import TEST_PASSWORD, OrgUnitFactory, make_person

pytestmark = pytest.mark.django_db

LOGIN_URL = "/accounts/login/"
LOCK_MESSAGE = "このアカウントは一時的にロックされています"


def _fail(client, username: str, times: int):
    return [
        client.post(LOGIN_URL, {"username": username, "password": f"wrong-{i}"})
        for i in range(times)
    ]


def _normalised(body: bytes, typed_username: str) -> str:
    text = body.decode()
    text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "CSRF", text)
    text = re.sub(r'"X-CSRFToken": "[^"]+"', "CSRF", text)
    return text.replace(typed_username, "TYPED")


@pytest.fixture
def people():
    unit = OrgUnitFactory(name="契約検査課")
    return make_person("alice", "有栖 花", unit, "主事"), make_person("bob", "坊 一", unit, "主任")


def test_sixth_attempt_is_refused_even_with_the_correct_password(client, people):
    responses = _fail(client, "alice", 5)

    assert [r.status_code for r in responses[:4]] == [200] * 4
    sixth = client.post(LOGIN_URL, {"username": "alice", "password": TEST_PASSWORD})

    assert sixth.status_code == 429
    assert LOCK_MESSAGE in sixth.content.decode()
    assert "管理者にお問い合わせください" in sixth.content.decode()
    assert "_auth_user_id" not in client.session
    assert not AuditEvent.objects.filter(action="auth.login").exists()


def test_the_fifth_failure_already_answers_with_the_lock(client, people):
    fifth = _fail(client, "alice", 5)[-1]

    assert fifth.status_code == 429
    assert LOCK_MESSAGE in fifth.content.decode()
    # The page is still a usable sign-in form (labelled fields), not a bare error.
    assert 'for="id_username"' in fifth.content.decode()


def test_failures_and_the_lockout_are_audited(client, people):
    _fail(client, "alice", 5)
    client.post(LOGIN_URL, {"username": "alice", "password": TEST_PASSWORD})

    failed = AuditEvent.objects.filter(action="auth.login_failed", details__username="alice")
    locked = AuditEvent.objects.filter(action="auth.locked_out", details__username="alice")
    assert failed.count() == 6  # five wrong passwords and the refused correct one
    assert locked.count() == 2  # when the lock was set, and the refused attempt
    assert locked.first().client_address == "127.0.0.1"


def test_lockout_is_per_username_not_per_address(client, people):
    _fail(client, "alice", 5)

    # Same client, same address (the city's proxy): another username still signs in.
    response = client.post(LOGIN_URL, {"username": "bob", "password": TEST_PASSWORD})

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(people[1].user.pk)


def test_unknown_username_is_locked_with_the_same_message(client, people):
    _fail(client, "alice", 5)
    _fail(client, "ghost", 5)

    known = client.post(LOGIN_URL, {"username": "alice", "password": "again"})
    unknown = client.post(LOGIN_URL, {"username": "ghost", "password": "again"})

    assert known.status_code == unknown.status_code == 429
    assert _normalised(known.content, "alice") == _normalised(unknown.content, "ghost")


def test_success_resets_the_failure_count(client, people):
    _fail(client, "alice", 4)
    assert (
        client.post(LOGIN_URL, {"username": "alice", "password": TEST_PASSWORD}).status_code == 302
    )
    client.logout()

    responses = _fail(client, "alice", 4)

    assert [r.status_code for r in responses] == [200] * 4


def test_case_and_spacing_variants_share_one_failure_count(client, people):
    # The directory treats "Alice " and "alice" as one account; so must the lockout.
    for variant in ["alice", "ALICE", " Alice", "aLiCe ", "Alice"]:
        client.post(LOGIN_URL, {"username": variant, "password": "wrong"})
    refused = client.post(LOGIN_URL, {"username": "alice", "password": TEST_PASSWORD})
    assert refused.status_code == 429
    assert "_auth_user_id" not in client.session
