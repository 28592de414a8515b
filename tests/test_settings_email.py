"""Settings read KAIRAN_EMAIL_*; without KAIRAN_EMAIL_HOST no mail server is configured."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PROBE = (
    "import django, json; django.setup();"
    "from django.conf import settings;"
    "from directory.notifications import email_configured;"
    "print(json.dumps({k: getattr(settings, k) for k in ('EMAIL_BACKEND', 'EMAIL_HOST',"
    " 'EMAIL_PORT', 'EMAIL_HOST_USER', 'EMAIL_USE_TLS', 'DEFAULT_FROM_EMAIL')}"
    " | {'configured': email_configured()}))"
)


def _probe(tmp_path, **env: str) -> dict:
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
    return json.loads(result.stdout)


def test_no_mail_server_by_default(tmp_path):
    out = _probe(tmp_path)
    assert out["EMAIL_HOST"] == ""
    assert out["configured"] is False


def test_a_mail_server_from_the_environment(tmp_path):
    out = _probe(
        tmp_path,
        KAIRAN_EMAIL_HOST="mail.city.example.jp",
        KAIRAN_EMAIL_PORT="587",
        KAIRAN_EMAIL_HOST_USER="kairan",
        KAIRAN_EMAIL_USE_TLS="1",
        KAIRAN_EMAIL_FROM="kairan@city.example.jp",
    )
    assert out == {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "mail.city.example.jp",
        "EMAIL_PORT": 587,
        "EMAIL_HOST_USER": "kairan",
        "EMAIL_USE_TLS": True,
        "DEFAULT_FROM_EMAIL": "kairan@city.example.jp",
        "configured": True,
    }
