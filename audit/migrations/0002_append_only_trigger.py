"""On PostgreSQL, refuse UPDATE and DELETE of audit events in the database itself.

The application never changes an event; this stops anything else that connects as the
application's role (a shell, a script, a bug) from doing it. TRUNCATE is deliberately not blocked:
Django's test database flush uses it, and verification detects it through the chain head.
SQLite gets nothing (its test flush deletes rows). Reversing drops the trigger and its function.
"""

from django.db import migrations

FUNCTION = "audit_event_append_only"
TRIGGER = "audit_event_append_only"


def _table(apps):
    return apps.get_model("audit", "AuditEvent")._meta.db_table


def create_trigger(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    table = schema_editor.quote_name(_table(apps))
    schema_editor.execute(
        f"""
        CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'audit log is append-only: % of event #% refused', TG_OP, OLD.seq
                USING HINT = 'Audit events can only be added (see audit/README.md).';
        END;
        $$
        """,
        params=None,  # no parameters: the % above are RAISE placeholders, not psycopg's
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
        ("audit", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(create_trigger, drop_trigger, elidable=False),
    ]
