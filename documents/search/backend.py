"""Which search engine serves the default database: PostgreSQL's or SQLite's. Both build on
``engine.Engine``; this module sits above them so that the base never imports its subclasses."""

from __future__ import annotations

from django.db import connection

from documents.search.engine import Engine
from documents.search.engine_postgres import PostgresEngine
from documents.search.engine_sqlite import SqliteEngine


def get_engine() -> Engine:
    """The engine of the default database."""
    if connection.vendor == "postgresql":
        return PostgresEngine()
    return SqliteEngine()
