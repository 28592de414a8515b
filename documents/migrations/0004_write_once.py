"""Versions and disposal records are written once, enforced by the database.

The application never changes a DocumentVersion or a DisposalRecord; these triggers stop
anything else connected as the application's role (a shell, a script, a bug) from doing it.
PostgreSQL refuses UPDATE and DELETE; SQLite refuses UPDATE only, because Django's test flush
on SQLite deletes rows (on PostgreSQL it truncates, which row triggers do not see).
"""

from django.db import migrations

TABLES = ("documents_documentversion", "documents_disposalrecord")


def create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table in TABLES:
        name = f"{table}_write_once"
        if vendor == "postgresql":
            schema_editor.execute(
                f"""
                CREATE OR REPLACE FUNCTION {name}() RETURNS trigger
                LANGUAGE plpgsql AS $$
                BEGIN
                    RAISE EXCEPTION '{table} is write-once: % refused', TG_OP
                        USING HINT = 'See documents/README.md (immutability).';
                END;
                $$
                """,
                params=None,
            )
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            schema_editor.execute(
                f"CREATE TRIGGER {name} BEFORE UPDATE OR DELETE ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION {name}()"
            )
        elif vendor == "sqlite":
            schema_editor.execute(
                f"CREATE TRIGGER IF NOT EXISTS {name} BEFORE UPDATE ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is write-once: UPDATE refused'); END"
            )


def drop(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table in TABLES:
        name = f"{table}_write_once"
        if vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            schema_editor.execute(f"DROP FUNCTION IF EXISTS {name}()")
        elif vendor == "sqlite":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("documents", "0003_records")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
