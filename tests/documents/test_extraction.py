"""Text extraction: PDF (reportlab-made), DOCX (python-docx-made), text; NFKC; limits; status."""

from __future__ import annotations

import io

import pytest

from documents import extraction, services, validation
from documents.models import TextExtraction
from tests.documents.conftest import blob_path, make_docx, make_pdf, upload

pytestmark = pytest.mark.django_db


def test_pdf_text_is_extracted():
    data = make_pdf(["Budget FY2026", "Section 3: rice terraces"], pages=3)

    result = extraction.extract_text(io.BytesIO(data), validation.PDF)

    assert "Budget FY2026 p1" in result.text
    assert "rice terraces p3" in result.text
    assert not result.is_truncated


def test_docx_paragraphs_and_tables_are_extracted_and_nfkc_normalised():
    data = make_docx(["棚田の保全について", "ＡＢＣ１２３ ｶﾀｶﾅ"], table=[["予算", "１００円"]])

    result = extraction.extract_text(io.BytesIO(data), validation.DOCX)

    assert "棚田の保全について" in result.text
    assert "ABC123 カタカナ" in result.text  # 全角 and 半角 read as one form
    assert "予算\t100円" in result.text


def test_shift_jis_text_is_decoded():
    data = "予算の概要　第１号\r\n".encode("cp932")

    result = extraction.extract_text(io.BytesIO(data), validation.TEXT_SJIS)

    assert result.text.strip() == "予算の概要 第1号"


def test_limits_on_pages_and_characters():
    data = make_pdf(["page text"], pages=5)

    by_pages = extraction.extract_text(io.BytesIO(data), validation.PDF, max_pages=2)
    by_chars = extraction.extract_text(io.BytesIO(data), validation.PDF, max_chars=12)

    assert "p2" in by_pages.text
    assert "p3" not in by_pages.text
    assert by_pages.is_truncated
    assert len(by_chars.text) == 12
    assert by_chars.is_truncated


def test_deadline_stops_extraction():
    data = make_pdf(["x"], pages=3)

    with pytest.raises(extraction.ExtractionFailed, match="timed out"):
        extraction.extract_text(io.BytesIO(data), validation.PDF, timeout_seconds=-1)


def test_images_have_no_text():
    assert extraction.extract_text(io.BytesIO(b"\x89PNG"), validation.PNG) is None


def test_upload_runs_extraction_in_the_background_task_and_records_done(
    zaisei_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(zaisei_client, "a.docx", make_docx(["予算書の本文"]))

    job = TextExtraction.objects.get(version__document_id=response.json()["id"])
    assert job.status == TextExtraction.Status.DONE
    assert job.text.strip() == "予算書の本文"
    assert job.started_at <= job.finished_at
    detail = zaisei_client.get(f"/api/v1/documents/{response.json()['id']}/").json()
    assert detail["versions"][0]["extraction"] == "done"
    from documents.selectors import document_text

    assert document_text(response.json()["id"]).strip() == "予算書の本文"


def test_extraction_is_pending_until_the_task_runs(zaisei_client):
    # Without running on-commit callbacks the task never ran: the status says so.
    response = upload(zaisei_client, "a.docx", make_docx(["x"]))

    job = TextExtraction.objects.get(version__document_id=response.json()["id"])
    assert job.status == TextExtraction.Status.PENDING


def test_a_file_that_cannot_be_read_is_recorded_as_failed(zaisei_client):
    response = upload(zaisei_client, "a.pdf", make_pdf(["x"]))
    version_id = TextExtraction.objects.get().version_id
    blob_path(response.json()["sha256"]).write_bytes(b"tampered")

    job = services.extraction_run(version_id=version_id)

    assert job.status == TextExtraction.Status.FAILED
    assert "SHA-256" in job.error
    assert job.text == ""


def test_the_task_function_returns_the_final_status(zaisei_client):
    from documents.tasks import extract_version_text

    upload(zaisei_client, "a.txt", "本文".encode())
    version_id = TextExtraction.objects.get().version_id

    result = extract_version_text.enqueue(version_id)

    assert result.return_value == "done"


def test_a_failed_extraction_is_a_plain_sentence_on_the_page(zaisei_client, org):
    from django.test import Client

    response = upload(zaisei_client, "a.pdf", make_pdf(["x"]))
    version_id = TextExtraction.objects.get().version_id
    blob_path(response.json()["sha256"]).write_bytes(b"%PDF-1.7 tampered")
    services.extraction_run(version_id=version_id)
    browser = Client()
    browser.force_login(org.zaisei_staff.user, backend="directory.backends.LocalAccountBackend")

    page = browser.get(f"/records/documents/{response.json()['id']}/").content.decode()

    assert 'data-testid="extraction-failed"' in page
    assert "文字を読み取れませんでした" in page
    error = TextExtraction.objects.get().error
    assert error  # the technical reason stays in the job row and the log, not on the page
    assert error not in page
