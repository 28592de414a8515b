"""KAIRAN_DATABASE_URL on PostgreSQL: a bounded psycopg pool per process (KAIRAN_DB_POOL_SIZE,
default 10; 0 turns it off and opens a connection per request, never persistent ones)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent

PROBE = (
    "import django, json; django.setup(); from django.conf import settings;"
    "db = settings.DATABASES['default'];"
    "print(json.dumps([db['OPTIONS'].get('pool'), db['CONN_MAX_AGE'],"
    " db.get('CONN_HEALTH_CHECKS', False), db['OPTIONS'].get('prepare_threshold')]))"
)
URL = "postgres://someone:secret@127.0.0.1:5432/kairan"  # settings only: nothing connects


def _probe(tmp_path: Path, **env: str) -> list:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("KAIRAN_")}
    clean |= {"DJANGO_SETTINGS_MODULE": "config.settings", "KAIRAN_DATA_DIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=clean | {"KAIRAN_DATABASE_URL": URL} | env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(result.stdout)


def test_a_pool_of_ten_by_default(tmp_path):
    pool, conn_max_age, _checks, _prepare = _probe(tmp_path)
    assert pool["max_size"] == 10
    assert conn_max_age == 0


def test_pooled_connections_may_keep_prepared_statements_and_unpooled_ones_do_not(tmp_path):
    """The search runs as a prepared statement only where each connection is its own server
    session (the pool), never behind pgbouncer's transaction mode (pool size 0)."""
    assert _probe(tmp_path)[3] == 5
    assert _probe(tmp_path, KAIRAN_DB_POOL_SIZE="0")[3] is None


def test_pool_size_from_the_environment(tmp_path):
    pool, _age, _checks, _prepare = _probe(tmp_path, KAIRAN_DB_POOL_SIZE="3")
    assert pool["max_size"] == 3


def test_pool_size_zero_means_a_connection_per_request(tmp_path):
    pool, conn_max_age, checks, _prepare = _probe(tmp_path, KAIRAN_DB_POOL_SIZE="0")
    assert pool is None
    assert conn_max_age == 0
    assert checks is True


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_postgresql_connection_comes_from_the_pool():
    connection.ensure_connection()
    assert connection.pool is not None
    assert connection.pool.max_size == 10
