"""Real uvicorn processes serving config.asgi on free loopback ports, sharing the test database
(PostgreSQL) and one Redis: what a production deployment with several workers looks like."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url() -> str:
    s = connection.settings_dict
    return (
        f"postgres://{s['USER']}:{s['PASSWORD']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}"
        f"/{s['NAME']}"
    )


def server_env(data_dir: Path, redis_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KAIRAN_")}
    env.update(
        KAIRAN_DATABASE_URL=database_url(),
        KAIRAN_REDIS_URL=redis_url,
        KAIRAN_DATA_DIR=str(data_dir),
        KAIRAN_SECRET_KEY="two-process-test-key-" + "x" * 40,
        KAIRAN_DB_POOL_SIZE="4",
        KAIRAN_LOG_LEVEL="WARNING",
    )
    return env


@contextlib.contextmanager
def uvicorn_servers(count: int, data_dir: Path, redis_url: str) -> Iterator[list[int]]:
    """Start ``count`` uvicorn processes, wait until each answers, yield their ports."""
    ports = [free_port() for _ in range(count)]
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "config.asgi:application",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-access-log",
                "--log-level",
                "warning",
                "--lifespan",
                "off",
            ],
            cwd=ROOT,
            env=server_env(data_dir, redis_url),
        )
        for port in ports
    ]
    try:
        for port in ports:
            _wait_ready(port, timeout=60)
        yield ports
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)


def _wait_ready(port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/accounts/login/", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"uvicorn on port {port} did not answer within {timeout} s")
