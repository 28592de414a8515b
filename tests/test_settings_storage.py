"""Settings read KAIRAN_S3_* into an S3-compatible default storage (django-storages)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PROBE = (
    "import django, json; django.setup();"
    "from django.conf import settings; from django.core.files.storage import storages;"
    "print(json.dumps([settings.STORAGES['default']['BACKEND'],"
    " type(storages['default']).__name__, getattr(storages['default'], 'bucket_name', None)]))"
)


def _probe(tmp_path, **env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("KAIRAN_")}
    clean |= {"DJANGO_SETTINGS_MODULE": "config.settings", "KAIRAN_DATA_DIR": str(tmp_path)}
    clean |= env
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout.strip()


def test_files_on_disk_by_default(tmp_path):
    out = _probe(tmp_path)
    assert "FileSystemStorage" in out


def test_s3_bucket_switches_the_default_storage(tmp_path):
    out = _probe(
        tmp_path,
        KAIRAN_S3_BUCKET="kairan-records",
        KAIRAN_S3_ENDPOINT_URL="http://127.0.0.1:9000",
    )
    assert '"storages.backends.s3.S3Storage"' in out
    assert '"S3Storage"' in out
    assert '"kairan-records"' in out
