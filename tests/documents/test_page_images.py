"""The preview slot: page images of a version (PDF; DOCX through LibreOffice when installed),
verified and cached by content, 404 to outsiders, audited for confidential documents."""

from __future__ import annotations

import io

import pytest
from django.test import Client

from audit.models import AuditEvent
from documents import rendering, services
from tests.documents.conftest import blob_path, make_docx, make_pdf

pytestmark = pytest.mark.django_db
LOCAL_BACKEND = "directory.backends.LocalAccountBackend"


@pytest.fixture(autouse=True)
def _cache_in_tmp(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"


def browser(person) -> Client:
    client = Client()
    client.force_login(person.user, backend=LOCAL_BACKEND)
    return client


def _document(org, data: bytes, name: str = "a.pdf", classification: str | None = None):
    return services.document_upload(
        actor=org.zaisei_staff.user,
        content=io.BytesIO(data),
        name=name,
        size_bytes=len(data),
        title="資料",
        classification=classification,
    )


def test_a_multi_page_pdf_previews_page_by_page(org):
    document = _document(org, make_pdf(["page"], pages=3))
    client = browser(org.zaisei_staff)

    fragment = client.get(f"/records/documents/{document.pk}/preview/?page=2").content.decode()
    image = client.get(f"/records/documents/{document.pk}/pages/2/?width=400")
    missing = client.get(f"/records/documents/{document.pk}/pages/4/")

    assert "2 / 3" in fragment
    assert 'data-testid="preview-image"' in fragment
    assert image.status_code == 200
    assert image["Content-Type"] == "image/webp"
    assert image.content[:4] == b"RIFF"
    assert image.content[8:12] == b"WEBP"
    assert missing.status_code == 404


def test_page_images_are_cached_by_content(org, monkeypatch):
    document = _document(org, make_pdf(["cached"]))
    client = browser(org.zaisei_staff)
    first = client.get(f"/records/documents/{document.pk}/pages/1/").content

    def fail(*args, **kwargs):
        raise AssertionError("rendered again")

    monkeypatch.setattr(rendering, "render_page", fail)

    assert client.get(f"/records/documents/{document.pk}/pages/1/").content == first


def test_outsiders_get_404_and_confidential_pages_are_audited(org):
    document = _document(org, make_pdf(["secret"]), classification="confidential")

    assert (
        browser(org.keiyaku_staff).get(f"/records/documents/{document.pk}/pages/1/").status_code
        == 404
    )
    assert (
        browser(org.zaisei_kacho).get(f"/records/documents/{document.pk}/pages/1/").status_code
        == 200
    )
    event = AuditEvent.objects.get(action="documents.page_viewed")
    assert event.details == {"version": 1, "page": 1}


def test_types_without_preview_say_so(org):
    document = _document(org, "本文".encode(), name="a.txt")

    fragment = browser(org.zaisei_staff).get(f"/records/documents/{document.pk}/preview/")

    assert fragment.status_code == 200
    assert 'data-testid="preview-message"' in fragment.content.decode()


def test_a_tampered_file_is_not_previewed(org):
    document = _document(org, make_pdf(["x"]))
    blob_path(document.current_version.blob.sha256).write_bytes(b"tampered")

    response = browser(org.zaisei_staff).get(f"/records/documents/{document.pk}/pages/1/")

    assert response.status_code == 500
    assert AuditEvent.objects.filter(action="documents.integrity_failed").count() == 1


def test_docx_without_libreoffice_explains_itself(org, monkeypatch):
    document = _document(org, make_docx(["本文"]), name="a.docx")
    monkeypatch.setattr(rendering.convert, "conversion_available", lambda: False)
    monkeypatch.setattr("shutil.which", lambda name: None)

    fragment = browser(org.zaisei_staff).get(f"/records/documents/{document.pk}/preview/")

    assert "LibreOffice" in fragment.content.decode()
