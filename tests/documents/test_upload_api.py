"""Uploads, versions and downloads through the API (CONTRACT.md "Documents")."""

from __future__ import annotations

import hashlib
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from audit.models import AuditEvent
from documents.models import Blob, Document, DocumentVersion, TextExtraction
from documents.storage import key_for
from tests.documents.conftest import blob_path, client_for, make_docx, make_pdf, upload

pytestmark = pytest.mark.django_db

PDF = make_pdf(["Budget 2026"])


def test_upload_creates_document_version_and_blob_keyed_by_hash(
    zaisei_client, org, media_root, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(zaisei_client, "予算書.pdf", PDF, title="令和8年度 予算書")

    assert response.status_code == 201, response.content
    sha = hashlib.sha256(PDF).hexdigest()
    assert response.json() == {
        "id": response.json()["id"],
        "title": "令和8年度 予算書",
        "sha256": sha,
        "size": len(PDF),
        "content_type": "application/pdf",
        "version": 1,
    }
    document = Document.objects.get()
    assert document.unit == org.zaisei  # the 課 of a 係 member
    assert document.classification == "internal"
    version = DocumentVersion.objects.get()
    assert (version.number, version.original_name, version.blob.sha256) == (1, "予算書.pdf", sha)
    assert version.blob.storage_key == key_for(sha)
    assert blob_path(sha).read_bytes() == PDF
    assert "予算書" not in str(blob_path(sha))  # the name never becomes a path
    assert version.extraction.status == TextExtraction.Status.DONE
    assert "Budget 2026" in version.extraction.text
    event = AuditEvent.objects.get(action="documents.uploaded")
    assert event.details["sha256"] == sha


def test_same_content_is_stored_once(zaisei_client, media_root):
    first = upload(zaisei_client, "a.pdf", PDF, title="一")
    second = upload(zaisei_client, "b.pdf", PDF, title="二")

    assert first.status_code == second.status_code == 201
    assert Document.objects.count() == 2
    assert Blob.objects.count() == 1
    assert len([p for p in media_root.rglob("*") if p.is_file()]) == 1
    assert first.json()["sha256"] == second.json()["sha256"]


def test_new_version_keeps_old_versions_unchanged_and_downloadable(zaisei_client):
    document_id = upload(zaisei_client, "plan.docx", make_docx(["第1版"])).json()["id"]
    v1 = DocumentVersion.objects.get(document_id=document_id, number=1)
    v1_state = (v1.blob_id, v1.size_bytes, v1.original_name, v1.content_type, v1.uploaded_at)
    new = make_docx(["第2版"])

    response = zaisei_client.post(
        f"/api/v1/documents/{document_id}/versions/",
        {"file": SimpleUploadedFile("plan-v2.docx", new)},
        format="multipart",
    )

    assert response.status_code == 201
    assert response.json()["version"] == 2
    assert response.json()["sha256"] == hashlib.sha256(new).hexdigest()
    v1.refresh_from_db()
    assert (v1.blob_id, v1.size_bytes, v1.original_name, v1.content_type, v1.uploaded_at) == (
        v1_state
    )
    assert Document.objects.get().current_version.number == 2
    old = zaisei_client.get(f"/api/v1/documents/{document_id}/download/?version=1")
    current = zaisei_client.get(f"/api/v1/documents/{document_id}/download/")
    assert old.status_code == 200
    assert hashlib.sha256(b"".join(old.streaming_content)).hexdigest() == v1.blob.sha256
    assert (
        hashlib.sha256(b"".join(current.streaming_content)).hexdigest()
        == (response.json()["sha256"])
    )
    detail = zaisei_client.get(f"/api/v1/documents/{document_id}/").json()
    assert [v["version"] for v in detail["versions"]] == [1, 2]
    assert detail["version"] == 2


def test_download_returns_the_bytes_with_a_safe_rfc5987_file_name(zaisei_client):
    document_id = upload(zaisei_client, '予算 "案".pdf', PDF).json()["id"]

    response = zaisei_client.get(f"/api/v1/documents/{document_id}/download/?version=1")

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment; ")
    name = '予算 "案".pdf'
    assert "filename*=utf-8''" + quote(name) in disposition
    assert "\n" not in disposition
    assert "/" not in disposition.split("''", 1)[1]


def test_download_of_a_missing_version_is_404(zaisei_client):
    document_id = upload(zaisei_client, "a.pdf", PDF).json()["id"]

    assert (
        zaisei_client.get(f"/api/v1/documents/{document_id}/download/?version=9").status_code == 404
    )
    assert (
        zaisei_client.get(f"/api/v1/documents/{document_id}/download/?version=x").status_code == 400
    )
    assert zaisei_client.get("/api/v1/documents/999999/").status_code == 404


def test_tampered_file_is_detected_on_read_and_audited(zaisei_client):
    created = upload(zaisei_client, "a.pdf", PDF).json()
    path = blob_path(created["sha256"])
    tampered = bytearray(PDF)
    tampered[len(tampered) // 2] ^= 0x01  # one bit, same size
    path.write_bytes(bytes(tampered))

    response = zaisei_client.get(f"/api/v1/documents/{created['id']}/download/")

    assert response.status_code == 500
    assert "SHA-256" in response.json()["detail"]
    event = AuditEvent.objects.get(action="documents.integrity_failed")
    assert event.details == {"document": created["id"], "version": 1}


def test_a_file_missing_from_storage_is_reported_not_served(zaisei_client):
    created = upload(zaisei_client, "a.pdf", PDF).json()
    blob_path(created["sha256"]).unlink()

    response = zaisei_client.get(f"/api/v1/documents/{created['id']}/download/")

    assert response.status_code == 500
    assert AuditEvent.objects.filter(action="documents.integrity_failed").count() == 1


def test_a_damaged_blob_is_healed_by_uploading_the_same_content_again(zaisei_client):
    created = upload(zaisei_client, "a.pdf", PDF).json()
    blob_path(created["sha256"]).write_bytes(b"garbage")

    assert upload(zaisei_client, "again.pdf", PDF).status_code == 201

    assert blob_path(created["sha256"]).read_bytes() == PDF
    assert zaisei_client.get(f"/api/v1/documents/{created['id']}/download/").status_code == 200


def test_another_divisions_member_may_not_add_a_version(zaisei_client, org):
    document_id = upload(zaisei_client, "a.pdf", PDF).json()["id"]

    response = client_for(org.keiyaku_staff).post(
        f"/api/v1/documents/{document_id}/versions/",
        {"file": SimpleUploadedFile("b.pdf", make_pdf(["other"]))},
        format="multipart",
    )

    assert response.status_code == 403
    assert DocumentVersion.objects.count() == 1
    assert Blob.objects.count() == 1


def test_sign_in_is_required(client):
    assert client.post("/api/v1/documents/", {}).status_code in (401, 403)
    assert client.get("/api/v1/documents/1/").status_code in (401, 403)
