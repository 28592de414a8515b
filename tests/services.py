"""Skip-or-fail for tests that need a real service (slapd, PostgreSQL, Redis, Chromium).

On a laptop without the service the test is skipped with the reason. In CI
``KAIRAN_REQUIRE_SERVICES=1`` turns that skip into a failure, so CI can never pass by skipping.
"""

from __future__ import annotations

import os
import shutil

import pytest
from django.db import connection

REQUIRED = os.environ.get("KAIRAN_REQUIRE_SERVICES", "").strip().lower() in {"1", "true", "yes"}


def require(available: bool, reason: str) -> None:
    if available:
        return
    if REQUIRED:
        pytest.fail(f"KAIRAN_REQUIRE_SERVICES=1 but a required service is missing: {reason}")
    pytest.skip(reason)


def require_binary(path_or_name: str, why: str) -> str:
    found = shutil.which(path_or_name)
    require(found is not None, f"{path_or_name} not installed ({why})")
    return found or ""


def on_postgresql() -> bool:
    return connection.vendor == "postgresql"


def redis_url() -> str:
    return os.environ.get("KAIRAN_REDIS_URL", "")
