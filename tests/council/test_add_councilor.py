"""``manage.py add_councilor``: creates or updates, idempotent; committees created as needed."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from audit.models import AuditEvent
from council.models import Committee, Councilor
from directory.models import Person

pytestmark = pytest.mark.django_db


def authenticate(*, username: str, password: str):
    user = get_user_model().objects.get(username=username)
    return user if user.check_password(password) else None


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("add_councilor", *args, stdout=out)
    return out.getvalue()


def test_add_councilor_creates_then_is_idempotent():
    args = (
        "tanaka.giin",
        "--name",
        "田中 議員",
        "--password",
        "pw-2026-x",
        "--committee",
        "総務常任委員会",
    )
    assert "created" in _run(*args)
    events = AuditEvent.objects.count()
    assert "updated" in _run(*args)
    assert AuditEvent.objects.count() == events  # nothing changed, nothing recorded
    councilor = Councilor.objects.get(person__user__username="tanaka.giin")
    assert councilor.person.kind == Person.Kind.COUNCILOR
    assert list(councilor.committees.values_list("name", flat=True)) == ["総務常任委員会"]
    assert Committee.objects.count() == 1
    assert authenticate(username="tanaka.giin", password="pw-2026-x") is not None


def test_add_councilor_updates_name_password_and_committees():
    _run("sato.giin", "--name", "佐藤", "--password", "old-pw-1", "--committee", "A委員会")
    _run(
        "sato.giin",
        "--name",
        "佐藤 花子",
        "--password",
        "new-pw-2",
        "--committee",
        "B委員会",
        "--committee",
        "C委員会",
    )
    councilor = Councilor.objects.get(person__user__username="sato.giin")
    assert councilor.person.display_name == "佐藤 花子"
    assert sorted(councilor.committees.values_list("name", flat=True)) == ["B委員会", "C委員会"]
    assert authenticate(username="sato.giin", password="new-pw-2") is not None
    assert authenticate(username="sato.giin", password="old-pw-1") is None
    assert Councilor.objects.count() == 1


def test_add_councilor_refuses_a_staff_username(org):
    with pytest.raises(CommandError):
        _run("zstaff", "--name", "x", "--password", "y")
    assert not Councilor.objects.exists()
