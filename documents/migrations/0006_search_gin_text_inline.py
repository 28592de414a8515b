# PostgreSQL search index, third layout (docs/search.md, docs/benchmarks.md "Search"): each GIN
# row keeps its chunk's normalised text inline, so a query of 4+ characters verifies its
# candidates while the bitmap heap scan visits them instead of one chunk-table lookup each; the
# tsvector moves out of line compressed with lz4 where the server has it. SQLite is unchanged.
from django.db import migrations


def _columns(lz4: bool) -> str:
    compression = " COMPRESSION lz4" if lz4 else ""
    return f"""(
        id BIGINT PRIMARY KEY,
        entry_id BIGINT NOT NULL,
        kind VARCHAR(32) NOT NULL,
        object_id BIGINT NOT NULL,
        owner_unit_id BIGINT NULL,
        classification VARCHAR(32) NOT NULL,
        title TEXT NOT NULL,
        norm TEXT NOT NULL,
        tokens TSVECTOR{compression} NOT NULL
    )"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT 'lz4' = ANY(enumvals) FROM pg_settings "
            "WHERE name = 'default_toast_compression'"
        )
        row = cursor.fetchone()
    lz4 = bool(row and row[0])
    for sql in [
        f"CREATE TABLE documents_search_gin_new {_columns(lz4)}",
        # Title and text stay inline and uncompressed (MAIN; the default toast_tuple_target
        # moves the tsvector out first): strpos reads them in place.
        "ALTER TABLE documents_search_gin_new ALTER COLUMN title SET STORAGE MAIN",
        "ALTER TABLE documents_search_gin_new ALTER COLUMN norm SET STORAGE MAIN",
        # Row k is text chunk k (row 1 also holds the title; an entry without text has only
        # row 1, and no chunk 1: its text is empty).
        """INSERT INTO documents_search_gin_new
           SELECT g.id, g.entry_id, g.kind, g.object_id, g.owner_unit_id, g.classification,
                  g.title, COALESCE(c.norm, ''), g.tokens
           FROM documents_search_gin g LEFT JOIN documents_search_chunk c ON c.id = g.id
           ORDER BY g.id""",
        "DROP TABLE documents_search_gin",
        "ALTER TABLE documents_search_gin_new RENAME TO documents_search_gin",
        "ALTER INDEX documents_search_gin_new_pkey RENAME TO documents_search_gin_pkey",
        "CREATE INDEX documents_search_gin_tokens ON documents_search_gin USING GIN (tokens)",
    ]:
        schema_editor.execute(sql)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("ALTER TABLE documents_search_gin DROP COLUMN norm")


class Migration(migrations.Migration):
    dependencies = [("documents", "0005_search_gin_rows")]
    operations = [migrations.RunPython(forward, backward, elidable=False)]
