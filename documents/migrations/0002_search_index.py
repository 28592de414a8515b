# The full-text search index (documents/search/): raw SQL per database, no model, so the index
# depends on no app's models. See documents/search/engine.py for the design.
from django.db import migrations

SQLITE = [
    """CREATE TABLE documents_search_entry (
        id INTEGER PRIMARY KEY,
        kind VARCHAR(32) NOT NULL,
        object_id BIGINT NOT NULL,
        title TEXT NOT NULL,
        owner_unit_id BIGINT NULL,
        classification VARCHAR(32) NOT NULL,
        updated_at DATETIME NOT NULL,
        UNIQUE (kind, object_id)
    )""",
    # id = entry_id * 65536 + seq (see engine.py); the FTS5 rowid is the same number. No foreign
    # key: the engine deletes chunks by id range, and a key would make every entry delete scan.
    """CREATE TABLE documents_search_chunk (
        id INTEGER PRIMARY KEY,
        entry_id BIGINT NOT NULL,
        seq INTEGER NOT NULL,
        norm TEXT NOT NULL
    )""",
    """CREATE TABLE documents_search_source (id INTEGER PRIMARY KEY, orig TEXT NOT NULL)""",
    # Contentless (the text is in the chunk table), positions kept for phrase queries, no
    # column sizes (no ranking by BM25). Tokens are ASCII: the ascii tokenizer keeps them whole.
    """CREATE VIRTUAL TABLE documents_search_fts USING fts5(
        tokens, content='', columnsize=0, tokenize='ascii'
    )""",
]
SQLITE_DROP = [
    "DROP TABLE IF EXISTS documents_search_fts",
    "DROP TABLE IF EXISTS documents_search_source",
    "DROP TABLE IF EXISTS documents_search_chunk",
    "DROP TABLE IF EXISTS documents_search_entry",
]

POSTGRES = [
    """CREATE TABLE documents_search_entry (
        id BIGSERIAL PRIMARY KEY,
        kind VARCHAR(32) NOT NULL,
        object_id BIGINT NOT NULL,
        title TEXT NOT NULL,
        owner_unit_id BIGINT NULL,
        classification VARCHAR(32) NOT NULL,
        updated_at TIMESTAMPTZ NOT NULL,
        UNIQUE (kind, object_id)
    )""",
    """CREATE TABLE documents_search_chunk (
        id BIGINT PRIMARY KEY,
        entry_id BIGINT NOT NULL,
        seq INTEGER NOT NULL,
        norm TEXT NOT NULL,
        tokens TSVECTOR NOT NULL
    )""",
    """CREATE TABLE documents_search_source (id BIGINT PRIMARY KEY, orig TEXT NOT NULL)""",
    "CREATE INDEX documents_search_chunk_tokens ON documents_search_chunk USING GIN (tokens)",
]
POSTGRES_DROP = [
    "DROP TABLE IF EXISTS documents_search_source",
    "DROP TABLE IF EXISTS documents_search_chunk",
    "DROP TABLE IF EXISTS documents_search_entry",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("documents", "0001_initial")]
    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE, "postgresql": POSTGRES}),
            _run({"sqlite": SQLITE_DROP, "postgresql": POSTGRES_DROP}),
            elidable=False,
        )
    ]
