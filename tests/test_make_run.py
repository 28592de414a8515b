"""`make run` smoke: a fresh data dir, migrate, seed, serve with uvicorn, fetch the sign-in page.

Runs the same steps as the Makefile's `run` target (CI also runs `make run` itself).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return result.stdout


def test_server_started_like_make_run_serves_the_sign_in_page(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("KAIRAN_")}
    env |= {"KAIRAN_DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "config.settings"}
    _manage(env, "migrate", "--no-input", "-v", "0")
    first = _manage(env, "seed_demo")
    second = _manage(env, "seed_demo")
    assert "people created 0, updated 0; units created 0, updated 0" not in first
    assert "people created 0, updated 0; units created 0, updated 0" in second
    assert (tmp_path / "kairan.sqlite3").exists()

    port = _free_port()
    server = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("uvicorn")),
            "config.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--lifespan",
            "off",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        body, status = "", 0
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/accounts/login/", timeout=5
                ) as response:
                    status, body = response.status, response.read().decode()
                break
            except OSError:
                if server.poll() is not None:
                    break
                time.sleep(0.3)
        assert status == 200, server.stderr.read().decode() if server.poll() is not None else ""
        assert "ログイン" in body
        assert 'name="csrfmiddlewaretoken"' in body
        assert 'lang="ja"' in body
    finally:
        server.terminate()
        server.wait(timeout=10)
