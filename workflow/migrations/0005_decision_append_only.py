"""On PostgreSQL, refuse UPDATE and DELETE of decision history rows in the database itself.

The history of a proposal (who approved, sent back or decided, for whom, in which round) is a
record kept for decades: services only ever add rows. As for the audit log, TRUNCATE stays
possible (the test database flush uses it). SQLite gets nothing.
"""

from django.db import migrations

FUNCTION = "workflow_decision_append_only"
TRIGGER = "workflow_decision_append_only"


def _table(apps):
    return apps.get_model("workflow", "Decision")._meta.db_table


def create_trigger(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    table = schema_editor.quote_name(_table(apps))
    schema_editor.execute(
        f"""
        CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'decision history is append-only: % of row #% refused', TG_OP, OLD.id
                USING HINT = 'Decisions can only be added (see docs/workflow-engine.md).';
        END;
        $$
        """,
        params=None,  # the % above are RAISE placeholders, not psycopg's
    )
    schema_editor.execute(f"DROP TRIGGER IF EXISTS {TRIGGER} ON {table}")
    schema_editor.execute(
        f"CREATE TRIGGER {TRIGGER} BEFORE UPDATE OR DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()"
    )


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    table = schema_editor.quote_name(_table(apps))
    schema_editor.execute(f"DROP TRIGGER IF EXISTS {TRIGGER} ON {table}")
    schema_editor.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}()")


class Migration(migrations.Migration):
    dependencies = [
        ("workflow", "0004_viewflow_process_and_task"),
    ]

    operations = [
        migrations.RunPython(create_trigger, drop_trigger, elidable=False),
    ]
