"""Each bad upload is refused with the right status and leaves nothing behind: no Document,
DocumentVersion or Blob row, and no file in storage."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from audit.exceptions import ValidationFailed
from documents import services, validation
from tests.documents.conftest import (
    assert_nothing_stored,
    make_docx,
    make_pdf,
    make_zip_bomb_docx,
    upload,
)

pytestmark = pytest.mark.django_db


def test_oversize_upload_is_413(zaisei_client, media_root, settings):
    settings.UPLOAD_MAX_BYTES = 1000
    data = make_pdf(["x" * 50] * 30)
    assert len(data) > 1000

    response = upload(zaisei_client, "big.pdf", data)

    assert response.status_code == 413
    assert "limit" in response.json()["detail"] or "上限" in response.json()["detail"]
    assert_nothing_stored(media_root)


def test_a_body_far_over_the_limit_is_refused_from_its_length(zaisei_client, media_root, settings):
    settings.UPLOAD_MAX_BYTES = 10
    response = upload(zaisei_client, "big.txt", b"a" * (2 * 1024 * 1024))

    assert response.status_code == 413
    assert_nothing_stored(media_root)


def test_the_default_limit_is_50_mb(settings):
    del settings.UPLOAD_MAX_BYTES  # as on a fresh install without the setting
    assert validation.max_upload_bytes() == 50 * 1024 * 1024


def test_empty_file_is_400(zaisei_client, media_root):
    response = upload(zaisei_client, "empty.pdf", b"")

    assert response.status_code == 400
    assert_nothing_stored(media_root)


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("report.pdf", "これはPDFではありません".encode()),  # text pretending to be a PDF
        ("report.pdf", make_docx(["docx"])),  # a DOCX named .pdf
        ("photo.png", b"\xff\xd8\xff\xe0" + b"\0" * 100),  # a JPEG header named .png
        ("sheet.xlsx", make_docx(["not a workbook"])),
        ("notes.txt", b"\x00\x01\x02binary\xff\xfe"),
        ("tool.exe", b"MZ\x90\x00"),  # not an accepted type at all
        ("plain.zip.docx", b"PK\x03\x04 damaged"),
    ],
)
def test_content_that_does_not_match_its_extension_is_400(zaisei_client, media_root, name, data):
    response = upload(zaisei_client, name, data)

    assert response.status_code == 400, response.content
    assert response.json()["detail"]
    assert_nothing_stored(media_root)


def test_a_zip_bomb_docx_is_refused_without_being_expanded(zaisei_client, media_root):
    bomb = make_zip_bomb_docx()
    assert len(bomb) < 1024 * 1024

    response = upload(zaisei_client, "bomb.docx", bomb)

    assert response.status_code == 400
    assert "zip" in response.json()["detail"].lower()
    assert_nothing_stored(media_root)


def test_an_archive_with_too_many_parts_is_refused(zaisei_client, media_root):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w/>")
        for i in range(validation.ZIP_MAX_MEMBERS + 1):
            archive.writestr(f"word/media/{i}.xml", "")

    response = upload(zaisei_client, "many.docx", buffer.getvalue())

    assert response.status_code == 400
    assert_nothing_stored(media_root)


@pytest.mark.parametrize(
    "name",
    ["../../etc/passwd.pdf", "..\\..\\boot.pdf", "a/b.pdf", "evil\x00.pdf", "tab\there.pdf", ".."],
)
def test_file_names_with_path_parts_or_control_characters_are_refused(org, media_root, name):
    data = make_pdf(["x"])

    with pytest.raises(ValidationFailed):
        services.document_upload(
            actor=org.zaisei_staff.user,
            content=io.BytesIO(data),
            name=name,
            size_bytes=len(data),
            title="t",
        )

    assert_nothing_stored(media_root)


def test_over_http_a_path_in_the_name_is_never_used_as_a_path(zaisei_client, media_root):
    # Django's multipart parser already keeps only the last path component; what reaches the
    # service is a plain name, stored as metadata while the file lives under its hash.
    response = upload(zaisei_client, "../../../etc/passwd.pdf", make_pdf(["x"]))

    assert response.status_code == 201
    files = [p for p in media_root.rglob("*") if p.is_file()]
    assert [p.name for p in files] == [response.json()["sha256"]]
    assert not (media_root.parent / "etc").exists()
    from documents.models import DocumentVersion

    assert "/" not in DocumentVersion.objects.get().original_name


def test_a_nul_in_the_multipart_name_never_reaches_storage(zaisei_client, media_root):
    response = upload(zaisei_client, "a\x00b.pdf", make_pdf(["x"]))

    from documents.models import DocumentVersion

    assert response.status_code in (201, 400)
    assert all("\x00" not in v.original_name for v in DocumentVersion.objects.all())


def test_missing_file_or_title_is_400(zaisei_client, media_root):
    assert zaisei_client.post("/api/v1/documents/", {"title": "x"}).status_code == 400
    no_title = zaisei_client.post(
        "/api/v1/documents/", {"file": SimpleUploadedFile("a.pdf", make_pdf(["x"]))}
    )
    assert no_title.status_code == 400
    assert_nothing_stored(media_root)


def test_unknown_classification_is_400(zaisei_client, media_root):
    response = upload(zaisei_client, "a.pdf", make_pdf(["x"]), classification="secret")

    assert response.status_code == 400
    assert_nothing_stored(media_root)


def test_a_failure_after_the_file_was_written_leaves_no_file(org, media_root, monkeypatch):
    def explode(**kwargs):
        raise RuntimeError("audit unavailable")

    monkeypatch.setattr(services.audit, "record", explode)
    data = make_pdf(["x"])

    with pytest.raises(RuntimeError):
        services.document_upload(
            actor=org.zaisei_staff.user,
            content=io.BytesIO(data),
            name="a.pdf",
            size_bytes=len(data),
            title="t",
        )

    assert_nothing_stored(media_root)


@pytest.mark.parametrize(
    ("name", "data", "content_type"),
    [
        ("a.txt", "予算の概要\n".encode(), validation.TEXT_UTF8),
        ("b.txt", "予算の概要\n".encode("cp932"), validation.TEXT_SJIS),
        ("c.csv", "課,金額\n財政課,100\n".encode("cp932"), validation.TEXT_SJIS),
        ("d.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 64, validation.PNG),
        ("e.JPG", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\0" * 64, validation.JPEG),
    ],
)
def test_accepted_types_are_detected_from_content(zaisei_client, name, data, content_type):
    response = upload(zaisei_client, name, data)

    assert response.status_code == 201, response.content
    assert response.json()["content_type"] == content_type


def _minimal_xlsx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", "<worksheet/>")
    return buffer.getvalue()


def test_an_xlsx_is_accepted_and_a_plain_zip_named_xlsx_is_not(zaisei_client, media_root):
    accepted = upload(zaisei_client, "集計.xlsx", _minimal_xlsx())
    plain = io.BytesIO()
    with zipfile.ZipFile(plain, "w") as archive:
        archive.writestr("data.csv", "a,b")
    refused = upload(zaisei_client, "data.xlsx", plain.getvalue())

    assert accepted.status_code == 201
    assert accepted.json()["content_type"] == validation.XLSX
    assert refused.status_code == 400
