"""Migrating the test database in migration tests, and back to where every app stands.

Running one app's migrations backwards also unapplies every migration of other apps that
depends on them (workflow's attachments depend on documents, chat and council on workflow …);
going forward to that app's own target does not bring them back. Migration tests therefore end
with ``migrate_all_to_latest()``, so the tests after them find the whole schema.
"""

from __future__ import annotations

from django.db import connection
from django.db.migrations.executor import MigrationExecutor


def migrate(app: str, target: str) -> None:
    MigrationExecutor(connection).migrate([(app, target)])


def migrate_all_to_latest() -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
