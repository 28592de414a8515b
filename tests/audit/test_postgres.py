"""Database-level guarantees: concurrent writers, the append-only trigger and its migration."""

from __future__ import annotations

import importlib
import threading
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import DatabaseError, connection

from audit.models import AuditEvent
from audit.selectors import chain_verify
from audit.services import record
from tests.audit.conftest import TRIGGER, head
from tests.services import on_postgresql, require

TABLE = AuditEvent._meta.db_table
MIGRATION = importlib.import_module("audit.migrations.0002_append_only_trigger")


def trigger_count() -> int:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT count(*) FROM pg_trigger WHERE tgname = %s AND tgrelid = %s::regclass",
                [TRIGGER, TABLE],
            )
        else:
            cursor.execute(
                "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s",
                [TABLE],
            )
        return cursor.fetchone()[0]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_form_one_unbroken_chain():
    require(on_postgresql(), "PostgreSQL needed: SQLite serialises writers by itself")
    threads_n, per_thread = 8, 50
    start = threading.Barrier(threads_n)
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            start.wait(timeout=30)
            for i in range(per_thread):
                record(
                    action="test.concurrent",
                    target_type="test.thread",
                    target_id=n,
                    details={"i": i},
                )
        except BaseException as exc:  # reported below: a thread's exception is otherwise lost
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(threads_n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert not errors, errors
    total = threads_n * per_thread
    seqs = list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, total + 1))
    for n in range(threads_n):
        mine = AuditEvent.objects.filter(target_id=str(n)).order_by("seq")
        assert [e.details["i"] for e in mine] == list(range(per_thread))
    result = chain_verify()
    assert (result.ok, result.count) == (True, total), result.reason
    assert head().last_seq == total


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_trigger_refuses_update_and_delete_and_leaves_the_row():
    require(on_postgresql(), "the trigger exists on PostgreSQL only")
    event = record(action="test.original", details={"a": 1})

    update = f"UPDATE {TABLE} SET action = 'test.forged' WHERE id = %s"  # noqa: S608
    delete = f"DELETE FROM {TABLE} WHERE id = %s"  # noqa: S608
    # RAISE EXCEPTION is SQLSTATE P0001, which psycopg maps to ProgrammingError.
    with pytest.raises(DatabaseError, match="append-only"), connection.cursor() as cursor:
        cursor.execute(update, [event.pk])
    with pytest.raises(DatabaseError, match="append-only"), connection.cursor() as cursor:
        cursor.execute(delete, [event.pk])
    with pytest.raises(DatabaseError, match="append-only"):
        AuditEvent.objects.filter(pk=event.pk).update(details={"a": 2})
    with pytest.raises(DatabaseError, match="append-only"):
        AuditEvent.objects.filter(pk=event.pk).delete()

    event.refresh_from_db()
    assert (event.action, event.details) == ("test.original", {"a": 1})
    assert chain_verify().ok


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_truncate_stays_possible_and_verification_notices_it():
    """Django's test flush truncates; the head row still remembers the lost events."""
    require(on_postgresql(), "the trigger exists on PostgreSQL only")
    record(action="test.one")
    record(action="test.two")
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {TABLE}")

    result = chain_verify()
    assert (result.ok, result.first_bad_seq) == (False, 1)


@pytest.mark.django_db
def test_migration_installs_the_trigger_on_postgresql_only_and_reverses():
    editor_apps = apps  # the functions only read AuditEvent's table name
    if connection.vendor != "postgresql":
        assert trigger_count() == 0

        def refuse(sql, params=()):
            raise AssertionError(f"no SQL expected on {connection.vendor}: {sql}")

        editor = SimpleNamespace(connection=connection, execute=refuse, quote_name=str)
        MIGRATION.create_trigger(editor_apps, editor)
        MIGRATION.drop_trigger(editor_apps, editor)
        return

    assert trigger_count() == 1
    with connection.schema_editor() as editor:
        MIGRATION.drop_trigger(editor_apps, editor)
    assert trigger_count() == 0
    event = record(action="test.original")
    AuditEvent.objects.filter(pk=event.pk).update(action="test.changed")  # allowed now
    with connection.schema_editor() as editor:
        MIGRATION.create_trigger(editor_apps, editor)
    assert trigger_count() == 1
