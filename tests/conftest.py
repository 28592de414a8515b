"""Project-wide fixtures. Service fixtures live in tests/fixtures/ (one module per service)."""

from __future__ import annotations

import os

import pytest

pytest_plugins = [
    "tests.fixtures.people",
    "tests.fixtures.ldap",
    "tests.fixtures.browser",
]


def pytest_collection_modifyitems(config, items):
    """PostgreSQL-only tests run in the PostgreSQL run; Redis-only ones when Redis is configured.

    CI runs the suite twice (SQLite, then PostgreSQL + Redis), so these are deselected, not
    skipped, in the run that does not use that database; the deselection is reported.
    """
    on_pg = os.environ.get("KAIRAN_DATABASE_URL", "").startswith(("postgres", "postgresql"))
    has_redis = bool(os.environ.get("KAIRAN_REDIS_URL"))
    keep, drop = [], []
    for item in items:
        if (item.get_closest_marker("postgres") and not on_pg) or (
            item.get_closest_marker("redis") and not has_redis
        ):
            drop.append(item)
        else:
            keep.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        if reporter:
            reporter.write_line(
                f"{len(drop)} PostgreSQL/Redis-only tests deselected: this run is configured "
                "without KAIRAN_DATABASE_URL=postgres… or KAIRAN_REDIS_URL (CI runs them)"
            )


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """PBKDF2's work factor is the point in production and pure waiting time in tests."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _isolated_cache():
    """Axes and throttles keep state in the cache: every test starts from an empty one."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


# Data that migrations load (not schema). Django's flush after each transactional test empties
# every table, so a transactional test that runs after another one would otherwise find no rank
# table and no authority rules, and pass or fail by test order.
_MIGRATION_DATA_LOADERS = (
    ("directory.migrations.0002_default_ranks", "add_default_ranks"),
    ("workflow.migrations.0002_default_authority_rules", "load_defaults"),
)


@pytest.fixture(autouse=True)
def _migration_data_in_transactional_tests(request):
    marker = request.node.get_closest_marker("django_db")
    transactional = bool(marker and marker.kwargs.get("transaction")) or any(
        name in request.fixturenames for name in ("transactional_db", "live_server")
    )
    if not transactional:
        return
    import importlib

    from django.apps import apps as django_apps

    request.getfixturevalue("transactional_db")
    for module_name, loader in _MIGRATION_DATA_LOADERS:
        getattr(importlib.import_module(module_name), loader)(django_apps, None)


@pytest.fixture(autouse=True)
def _empty_search_index_in_transactional_tests(request):
    """Django's flush empties only the tables of models: the search index is raw tables (on
    SQLite an FTS5 table, which a flush could not empty), filled by workflow's and records'
    services, so it is emptied here before and after every transactional test."""
    marker = request.node.get_closest_marker("django_db")
    transactional = bool(marker and marker.kwargs.get("transaction")) or any(
        name in request.fixturenames for name in ("transactional_db", "live_server")
    )
    if not transactional:
        yield
        return
    from documents.search.backend import get_engine

    request.getfixturevalue("transactional_db")
    get_engine().clear()
    yield
    get_engine().clear()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """pytest-django's test database, and before it is dropped on PostgreSQL, the end of every
    other session on it: a thread that has finished (a live-server request thread) can leave
    its connection open, checked out of the pool, and PostgreSQL refuses to drop a database
    that is "being accessed by other users" (the run then ends with a warning and leaves it)."""
    yield
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cur:
        cur.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
