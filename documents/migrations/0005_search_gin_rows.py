# PostgreSQL search index, second layout (docs/search.md, docs/benchmarks.md "Search"): the GIN
# index moves off the chunk table (whose heap is the normalised text) to a narrow table of one
# row per entry (title and text together) or per text chunk beyond the first, with bigram and
# trigram lexemes stored out of line. SQLite is unchanged.
from django.db import migrations

BATCH = 500

FORWARD = [
    # Visibility columns as in documents_search_entry: the bitmap heap scan visits these rows
    # anyway, so the visibility rule is a filter there and needs no join and no lexemes.
    """CREATE TABLE documents_search_gin (
        id BIGINT PRIMARY KEY,
        entry_id BIGINT NOT NULL,
        kind VARCHAR(32) NOT NULL,
        object_id BIGINT NOT NULL,
        owner_unit_id BIGINT NULL,
        classification VARCHAR(32) NOT NULL,
        title TEXT NOT NULL,
        tokens TSVECTOR NOT NULL
    ) WITH (toast_tuple_target = 512)""",
    # The tsvector goes out of line (compressed) as soon as a row passes 2 kB; a query never
    # reads it (no recheck), so the heap the bitmap scan visits is ids, visibility and titles.
    # The normalised title stays inline for the in-title test.
    "ALTER TABLE documents_search_gin ALTER COLUMN title SET STORAGE MAIN",
    "CREATE INDEX documents_search_gin_tokens ON documents_search_gin USING GIN (tokens)",
]
# This layout's columns (0006 adds the row's text; ``gin_rows`` gives it as value 8 since then).
INSERT = (
    "INSERT INTO documents_search_gin (id, entry_id, kind, object_id, owner_unit_id, "
    "classification, title, tokens) VALUES (%s, %s, %s, %s, %s, %s, %s, %s::tsvector)"
)
DROP_OLD = [
    "DROP INDEX IF EXISTS documents_search_chunk_tokens",
    "ALTER TABLE documents_search_chunk DROP COLUMN tokens",
]


def _batches(cursor):
    """Lists of (entry id, IndexEntry without text, its chunks), every indexed entry once."""
    from documents.search import text as T
    from documents.search.engine import SEQ_SPAN, IndexEntry

    last = 0
    while True:
        cursor.execute(
            "SELECT id, kind, object_id, owner_unit_id, classification "
            "FROM documents_search_entry WHERE id > %s ORDER BY id LIMIT %s",
            [last, BATCH],
        )
        entries = cursor.fetchall()
        if not entries:
            return
        last = entries[-1][0]
        cursor.execute(
            "SELECT id, seq, norm FROM documents_search_chunk WHERE id >= %s AND id < %s "
            "ORDER BY id",
            [entries[0][0] * SEQ_SPAN, (last + 1) * SEQ_SPAN],
        )
        chunks: dict[int, list] = {}
        for chunk_id, seq, norm in cursor.fetchall():
            chunks.setdefault(chunk_id // SEQ_SPAN, []).append(T.Chunk(seq, norm, ""))
        yield [
            (entry_id, IndexEntry(kind, object_id, "", "", unit, classification), chunks[entry_id])
            for entry_id, kind, object_id, unit, classification in entries
            if entry_id in chunks
        ]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from documents.search.engine_postgres import gin_rows

    for sql in FORWARD:
        schema_editor.execute(sql)
    with schema_editor.connection.cursor() as cursor:
        for batch in _batches(cursor):
            rows = gin_rows([(e, entry, c) for e, entry, chunks in batch for c in chunks])
            cursor.executemany(INSERT, [[*row[:7], row[8]] for row in rows])
    for sql in DROP_OLD:
        schema_editor.execute(sql)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from documents.search import text as T
    from documents.search.engine import SEQ_SPAN
    from documents.search.engine_sqlite import _attr_tokens

    schema_editor.execute(
        "ALTER TABLE documents_search_chunk ADD COLUMN tokens TSVECTOR NOT NULL DEFAULT ''"
    )
    with schema_editor.connection.cursor() as cursor:
        for batch in _batches(cursor):
            updates = [
                [" ".join([*T.tokens(c.norm), *_attr_tokens(entry)]), e * SEQ_SPAN + c.seq]
                for e, entry, chunks in batch
                for c in chunks
            ]
            cursor.executemany(
                "UPDATE documents_search_chunk SET tokens = %s::tsvector WHERE id = %s", updates
            )
    schema_editor.execute("ALTER TABLE documents_search_chunk ALTER COLUMN tokens DROP DEFAULT")
    schema_editor.execute(
        "CREATE INDEX documents_search_chunk_tokens ON documents_search_chunk USING GIN (tokens)"
    )
    schema_editor.execute("DROP TABLE documents_search_gin")


class Migration(migrations.Migration):
    dependencies = [("documents", "0004_write_once")]
    operations = [migrations.RunPython(forward, backward, elidable=False)]
