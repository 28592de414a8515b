"""Fixtures of the audit tests: a small chain, auditors, and tampering helpers.

Tampering goes straight to the table, as an attacker with database access would. On PostgreSQL
the append-only trigger is switched off for the duration (the table owner may do that).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.template import TemplateDoesNotExist
from django.template.loader import get_template

from audit.chain import event_hash
from audit.models import AuditChainHead, AuditEvent
from audit.services import record
from tests.factories import UserFactory

TRIGGER = "audit_event_append_only"


@contextmanager
def trigger_disabled() -> Iterator[None]:
    """Let a test rewrite audit rows on PostgreSQL, then put the trigger back."""
    if connection.vendor != "postgresql":
        yield
        return
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {TRIGGER}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER {TRIGGER}")


def tamper(seq: int, **changes: Any) -> None:
    """Overwrite fields of the stored event ``seq`` (no re-hash)."""
    with trigger_disabled():
        assert AuditEvent.objects.filter(seq=seq).update(**changes) == 1


def rehash(event: AuditEvent) -> str:
    """The hash a forger with the source code would compute for ``event`` as it is now."""
    return event_hash(
        seq=event.seq,
        at=event.at,
        actor_id=event.actor_id,
        actor_username=event.actor_username,
        action=event.action,
        target_type=event.target_type,
        target_id=event.target_id,
        client_address=event.client_address,
        details=event.details,
        prev_hash=event.prev_hash,
    )


def head() -> AuditChainHead:
    return AuditChainHead.objects.get(pk=1)


@pytest.fixture
def ten_events(db) -> list[AuditEvent]:
    """Ten chained events by two people and the system, reloaded from the database."""
    alice = UserFactory(username="alice")
    bob = UserFactory(username="bob")
    for n in range(1, 11):
        record(
            action="test.step" if n % 2 else "test.other",
            actor=(alice, bob, None)[n % 3],
            target_type="test.thing",
            target_id=n,
            details={"n": n, "名前": f"件名{n}"},
            client_address=f"192.0.2.{n}",
        )
    return list(AuditEvent.objects.order_by("seq"))


@pytest.fixture
def auditor(db):
    user = UserFactory(username="auditor")
    user.user_permissions.add(
        Permission.objects.get_by_natural_key("view_auditevent", "audit", "auditevent")
    )
    return user


@pytest.fixture
def staff_user(db):
    return UserFactory(username="staff")


@pytest.fixture
def base_template(settings, tmp_path) -> None:
    """The project's base.html is another engineer's; if it is not there yet, stand in for it."""
    try:
        get_template("base.html")
    except TemplateDoesNotExist:
        (tmp_path / "base.html").write_text(
            "<html><title>{% block title %}{% endblock %}</title>"
            "<body>{% block content %}{% endblock %}</body></html>"
        )
        settings.TEMPLATES = [
            {**settings.TEMPLATES[0], "DIRS": [*settings.TEMPLATES[0]["DIRS"], tmp_path]}
        ]
