"""The inbox index on viewflow's task table becomes (owner, status, created, id).

The inbox asks for one owner's assigned task ids ordered by (created, id). With ``id`` in the
index that is an index-only scan that is already in order: no heap visit and no sort
(bench/bench_inbox.py: 0.30 ms → see docs/benchmarks.md). On PostgreSQL the new index is built
CONCURRENTLY, so approvals are not blocked while it builds on a large table; the old one is
dropped once the new one is there.
"""

from django.db import migrations

OLD = "workflow_vf_task_owner_status_created"
NEW = "workflow_vf_task_inbox"


def _concurrently(schema_editor) -> str:
    return " CONCURRENTLY" if schema_editor.connection.vendor == "postgresql" else ""


def _drop_if_invalid(schema_editor, name: str) -> None:
    """A concurrent build that failed leaves an invalid index of that name behind, which
    ``IF NOT EXISTS`` would take for done: drop it so the build runs again."""
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT NOT i.indisvalid FROM pg_class c JOIN pg_index i ON i.indexrelid = c.oid "
            "WHERE c.relname = %s",
            [name],
        )
        row = cursor.fetchone()
    if row and row[0]:
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")


def _swap(schema_editor, build: str, columns: str, drop: str) -> None:
    """Build index ``build`` on ``columns``, then drop ``drop``: the inbox always has one."""
    how = _concurrently(schema_editor)
    _drop_if_invalid(schema_editor, build)
    schema_editor.execute(f"CREATE INDEX{how} IF NOT EXISTS {build} ON viewflow_task ({columns})")
    schema_editor.execute(f"DROP INDEX{how} IF EXISTS {drop}")


def forward(apps, schema_editor):
    _swap(schema_editor, NEW, "owner_id, status, created, id", OLD)


def backward(apps, schema_editor):
    _swap(schema_editor, OLD, "owner_id, status, created", NEW)


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [("workflow", "0010_disposal_proposal_binders")]
    operations = [migrations.RunPython(forward, backward, elidable=False)]
