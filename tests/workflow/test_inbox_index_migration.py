"""Migration 0011 swaps the inbox index for (owner, status, created, id), built CONCURRENTLY on
PostgreSQL; a concurrent build that failed earlier leaves an invalid index of that name, which
the migration must rebuild rather than take for done."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection

from tests.migration_helpers import migrate, migrate_all_to_latest

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

BEFORE, AFTER = "0010_disposal_proposal_binders", "0011_task_inbox_index_with_id"


def _migrate(target: str) -> None:
    migrate("workflow", target)


def _indexes() -> dict[str, tuple[str, bool]]:
    with connection.cursor() as cur:
        cur.execute(
            "SELECT c.relname, pg_get_indexdef(c.oid), i.indisvalid FROM pg_class c "
            "JOIN pg_index i ON i.indexrelid = c.oid WHERE c.relname LIKE 'workflow_vf_task_%%'"
        )
        return {name: (definition, valid) for name, definition, valid in cur.fetchall()}


def test_the_migration_swaps_the_index_and_back():
    assert "(owner_id, status, created, id)" in _indexes()["workflow_vf_task_inbox"][0]
    try:
        _migrate(BEFORE)
        assert set(_indexes()) == {"workflow_vf_task_owner_status_created"}
        assert (
            "(owner_id, status, created)" in _indexes()["workflow_vf_task_owner_status_created"][0]
        )
    finally:
        _migrate(AFTER)
        migrate_all_to_latest()
    assert set(_indexes()) == {"workflow_vf_task_inbox"}


def test_an_invalid_index_left_by_a_failed_build_is_rebuilt():
    try:
        _migrate(BEFORE)
        with connection.cursor() as cur:
            cur.execute("CREATE TABLE kairan_test_dupes (x int)")
            cur.execute("INSERT INTO kairan_test_dupes VALUES (1), (1)")
            with pytest.raises(IntegrityError):
                cur.execute(
                    "CREATE UNIQUE INDEX CONCURRENTLY workflow_vf_task_inbox "
                    "ON kairan_test_dupes (x)"
                )
        assert _indexes()["workflow_vf_task_inbox"][1] is False  # left behind, invalid
        _migrate(AFTER)
    finally:
        _migrate(AFTER)
        migrate_all_to_latest()
        with connection.cursor() as cur:
            cur.execute("DROP TABLE IF EXISTS kairan_test_dupes")
    definition, valid = _indexes()["workflow_vf_task_inbox"]
    assert valid
    assert "ON public.viewflow_task USING btree (owner_id, status, created, id)" in definition
