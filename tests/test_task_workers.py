"""KAIRAN_TASK_WORKERS=external: background work goes to the database queue and a separate
`manage.py db_worker` process runs it (django-tasks-db); the embedded default runs it in-process.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

UPLOAD = """
import io, django
django.setup()
from directory.models import OrgUnit
from documents.models import TextExtraction
from documents.services import document_upload
from tests.factories import OrgUnitFactory, make_person
unit = OrgUnitFactory(name="財政課", level=OrgUnit.Level.DIVISION)
person = make_person("worker.test", "職員 太郎", unit, "主事")
body = "令和8年度の補正予算について説明します。".encode()
document_upload(actor=person.user, content=io.BytesIO(body), name="memo.txt",
                size_bytes=len(body), title="補正予算メモ")
print(TextExtraction.objects.get().status)
"""

STATUS = """
import django
django.setup()
from documents.models import TextExtraction
extraction = TextExtraction.objects.get()
print(extraction.status, "補正予算" in (extraction.text or ""))
"""


def _run(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout.strip()


def _env(tmp_path: Path, workers: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KAIRAN_")}
    return env | {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "KAIRAN_DATA_DIR": str(tmp_path),
        "KAIRAN_TASK_WORKERS": workers,
    }


def test_external_workers_run_queued_extraction(tmp_path):
    env = _env(tmp_path, "external")
    _run(env, "manage.py", "migrate", "--no-input", "-v", "0")
    assert _run(env, "-c", UPLOAD).splitlines()[-1] == "pending"
    # Nothing runs the task until a worker does.
    assert _run(env, "-c", STATUS).splitlines()[-1] == "pending False"
    _run(env, "manage.py", "db_worker", "--batch", "--no-startup-delay")
    assert _run(env, "-c", STATUS).splitlines()[-1] == "done True"


def test_embedded_default_runs_extraction_in_process(tmp_path):
    env = _env(tmp_path, "embedded")
    _run(env, "manage.py", "migrate", "--no-input", "-v", "0")
    assert _run(env, "-c", UPLOAD).splitlines()[-1] == "done"
