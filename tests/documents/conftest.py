"""Records fixtures: files on a temporary storage, a small org chart, clients per role, and
generated files (PDF with reportlab, DOCX with python-docx, zip bombs) — no binaries committed.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.core.files.storage import default_storage
from rest_framework.test import APIClient

from documents import hooks
from documents.models import Blob, Document, DocumentVersion
from documents.storage import key_for
from tests.factories import make_person


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> Path:
    """Every test stores files in its own directory; nothing leaks between tests."""
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = str(root)
    return root


@pytest.fixture(autouse=True)
def _default_hooks():
    """Each test starts from the default hooks; what the apps registered (workflow's disposal
    resolver, from its ready()) is put back afterwards for the tests that follow."""
    saved = (hooks.route_document_ids, hooks.approved_disposal, hooks.decided_proposal)
    hooks.reset()
    yield
    hooks.register(route=saved[0], disposal=saved[1], proposal=saved[2])


@pytest.fixture
def auditor(org):
    person = make_person("auditor", "監査 委員", org.special, "主事")
    person.user.user_permissions.add(Permission.objects.get(codename="view_auditevent"))
    return person


@pytest.fixture
def councilor(db):
    from directory.models import Person

    return make_person("giin", "議員 一郎", None, kind=Person.Kind.COUNCILOR)


def client_for(person) -> APIClient:
    client = APIClient()
    client.force_authenticate(person.user)
    return client


@pytest.fixture
def zaisei_client(org) -> APIClient:
    """A 主事 of 財政係 (under 財政課)."""
    return client_for(org.zaisei_staff)


def stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def assert_nothing_stored(root: Path) -> None:
    assert Document.objects.count() == 0
    assert DocumentVersion.objects.count() == 0
    assert Blob.objects.count() == 0
    assert stored_files(root) == []


def blob_path(sha256: str) -> Path:
    return Path(default_storage.path(key_for(sha256)))


# --- generated files ---------------------------------------------------------------------------


def make_pdf(lines: list[str], *, pages: int = 1) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    for page in range(pages):
        y = 800
        for line in lines:
            pdf.drawString(72, y, f"{line} p{page + 1}" if pages > 1 else line)
            y -= 20
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def make_docx(paragraphs: list[str], *, table: list[list[str]] | None = None) -> bytes:
    import docx

    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, text in enumerate(row):
                grid.cell(r, c).text = text
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def make_zip_bomb_docx(*, expanded_bytes: int = 60 * 1024 * 1024) -> bytes:
    """A DOCX-shaped zip whose document part expands from ~60 KB to ``expanded_bytes``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("word/document.xml", "w") as member:
            chunk = b"\0" * (1024 * 1024)
            for _ in range(expanded_bytes // len(chunk)):
                member.write(chunk)
    return buffer.getvalue()


def upload(client: APIClient, name: str, data: bytes, **fields):
    from django.core.files.uploadedfile import SimpleUploadedFile

    payload = {"file": SimpleUploadedFile(name, data), "title": fields.pop("title", "予算資料")}
    payload.update({k: v for k, v in fields.items() if v is not None})
    return client.post("/api/v1/documents/", payload, format="multipart")
