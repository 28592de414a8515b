"""Attachments of proposals (添付資料): added while drafting, frozen at submission, visible along
the route, listed with their hashes in the 決裁文書 PDF (CONTRACT.md "Approval").

The drafter is a 主事 of 市民課 > 窓口係; an expenditure of 12,000,000 yen is consulted with
財政課 (合議), whose head may then read a confidential attachment that an outsider may not.
"""

from __future__ import annotations

import hashlib
import io

import pypdf
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from audit.models import AuditEvent
from documents.models import Document
from tests.documents.conftest import make_pdf
from tests.workflow.test_proposal_api import (
    API,
    DRAFTER,
    KACHO,
    KAKARI,
    new_proposal,
    post,
    task_of,
)
from workflow.models import ProposalAttachment, RoundAttachment

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]

ZAISEI_KACHO = "zaisei_kacho"
OUTSIDER = "zeimu_staff"


def pdf_file(text: str, name: str = "mitsumori.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, make_pdf([text]), content_type="application/pdf")


def attach(as_, proposal_id: int, text: str = "見積書", **data):
    upload = pdf_file(text)
    return as_(DRAFTER).post(
        f"{API}proposals/{proposal_id}/attachments/", {"file": upload, **data}, format="multipart"
    )


def expenditure(as_) -> dict:
    return new_proposal(as_, category="expenditure", amount=12_000_000, title="道路補修工事")


def test_upload_while_drafting_is_listed_with_its_version_and_hash(as_):
    proposal = new_proposal(as_)
    data = make_pdf(["見積書 A"])

    response = as_(DRAFTER).post(
        f"{API}proposals/{proposal['id']}/attachments/",
        {"file": SimpleUploadedFile("見積書.pdf", data), "title": "見積書"},
        format="multipart",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert {k: body[k] for k in ("title", "version", "sha256", "frozen")} == {
        "title": "見積書",
        "version": 1,
        "sha256": hashlib.sha256(data).hexdigest(),
        "frozen": False,
    }
    detail = as_(DRAFTER).get(f"{API}proposals/{proposal['id']}/").json()
    assert [(a["id"], a["document"], a["version"]) for a in detail["attachments"]] == [
        (body["id"], body["document"], 1)
    ]
    assert AuditEvent.objects.filter(action="workflow.attachment_added").count() == 1
    # The file is a records document of the drafter's 課, downloadable as such.
    download = as_(DRAFTER).get(f"{API}documents/{body['document']}/download/?version=1")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == data


def test_title_defaults_to_the_file_name_without_a_path(as_):
    proposal = new_proposal(as_)
    upload = SimpleUploadedFile("../../etc/設計図.pdf", make_pdf(["図"]))

    response = as_(DRAFTER).post(
        f"{API}proposals/{proposal['id']}/attachments/", {"file": upload}, format="multipart"
    )

    assert response.status_code == 201
    assert response.json()["title"] == "設計図"


def test_a_file_that_is_not_what_it_says_is_400_and_nothing_is_attached(as_):
    proposal = new_proposal(as_)
    fake = SimpleUploadedFile("mitsumori.pdf", b"MZ\x90\x00 not a pdf at all")

    response = as_(DRAFTER).post(
        f"{API}proposals/{proposal['id']}/attachments/", {"file": fake}, format="multipart"
    )

    assert response.status_code == 400
    assert "detail" in response.json()
    assert not ProposalAttachment.objects.exists()
    assert not Document.objects.exists()


def test_a_file_over_the_limit_is_413(as_, settings):
    settings.UPLOAD_MAX_BYTES = 1024
    proposal = new_proposal(as_)
    big = SimpleUploadedFile("big.pdf", make_pdf(["x" * 80], pages=40))

    response = as_(DRAFTER).post(
        f"{API}proposals/{proposal['id']}/attachments/", {"file": big}, format="multipart"
    )

    assert response.status_code == 413
    assert not ProposalAttachment.objects.exists()


def test_missing_file_is_400(as_):
    proposal = new_proposal(as_)
    response = as_(DRAFTER).post(
        f"{API}proposals/{proposal['id']}/attachments/", {"title": "空"}, format="multipart"
    )
    assert response.status_code == 400


def test_only_the_drafter_changes_attachments_and_outsiders_see_nothing(as_):
    proposal = new_proposal(as_)
    url = f"{API}proposals/{proposal['id']}/attachments/"

    # A draft is visible to its drafter only: anyone else gets 404, not 403.
    assert as_(KAKARI).post(url, {"file": pdf_file("x")}, format="multipart").status_code == 404
    assert as_(OUTSIDER).get(url).status_code == 404
    assert not ProposalAttachment.objects.exists()


def test_an_approver_of_a_returned_proposal_may_not_attach(as_):
    proposal = new_proposal(as_)
    post(as_, DRAFTER, f"proposals/{proposal['id']}/submit/")
    task = task_of(as_, KAKARI, proposal["id"])
    post(as_, KAKARI, f"tasks/{task['id']}/send-back/", {"comment": "見積書を添付してください"})

    response = as_(KAKARI).post(
        f"{API}proposals/{proposal['id']}/attachments/",
        {"file": pdf_file("x")},
        format="multipart",
    )

    assert response.status_code == 403
    assert not ProposalAttachment.objects.exists()


def test_replace_gives_a_new_version_and_remove_detaches(as_):
    proposal = new_proposal(as_)
    first = attach(as_, proposal["id"], "v1").json()
    data = make_pdf(["v2"])

    replaced = as_(DRAFTER).post(
        f"{API}proposals/{proposal['id']}/attachments/{first['id']}/versions/",
        {"file": SimpleUploadedFile("v2.pdf", data)},
        format="multipart",
    )

    assert replaced.status_code == 201, replaced.content
    assert (replaced.json()["version"], replaced.json()["sha256"]) == (
        2,
        hashlib.sha256(data).hexdigest(),
    )
    removed = as_(DRAFTER).delete(f"{API}proposals/{proposal['id']}/attachments/{first['id']}/")
    assert removed.status_code == 204
    assert as_(DRAFTER).get(f"{API}proposals/{proposal['id']}/").json()["attachments"] == []
    # The document itself stays in the records.
    assert Document.objects.filter(pk=first["document"]).exists()
    again = as_(DRAFTER).delete(f"{API}proposals/{proposal['id']}/attachments/{first['id']}/")
    assert again.status_code == 404


def test_link_an_existing_document(as_):
    proposal = new_proposal(as_)
    uploaded = as_(DRAFTER).post(
        f"{API}documents/", {"file": pdf_file("仕様書"), "title": "仕様書"}, format="multipart"
    )
    document_id = uploaded.json()["id"]
    url = f"{API}proposals/{proposal['id']}/attachments/"

    linked = as_(DRAFTER).post(url, {"document": document_id}, format="json")

    assert linked.status_code == 201, linked.content
    assert linked.json()["document"] == document_id
    assert as_(DRAFTER).post(url, {"document": document_id}, format="json").status_code == 409
    assert as_(DRAFTER).post(url, {"document": 10**20}, format="json").status_code == 400
    assert as_(DRAFTER).post(url, {"document": 999_999}, format="json").status_code == 404


def test_frozen_at_submission_a_later_version_needs_a_new_round(as_):
    proposal = new_proposal(as_)
    first_bytes = make_pdf(["第1版"])
    attached = as_(DRAFTER).post(
        f"{API}proposals/{proposal['id']}/attachments/",
        {"file": SimpleUploadedFile("a.pdf", first_bytes)},
        format="multipart",
    )
    attachment = attached.json()
    base = f"{API}proposals/{proposal['id']}/attachments/"
    post(as_, DRAFTER, f"proposals/{proposal['id']}/submit/")

    assert attach(as_, proposal["id"]).status_code == 409
    assert as_(DRAFTER).delete(f"{base}{attachment['id']}/").status_code == 409
    replaced = as_(DRAFTER).post(
        f"{base}{attachment['id']}/versions/", {"file": pdf_file("x")}, format="multipart"
    )
    assert replaced.status_code == 409
    # The document gets a version 2 through the records: the round still asks about version 1.
    second = as_(DRAFTER).post(
        f"{API}documents/{attachment['document']}/versions/",
        {"file": pdf_file("第2版")},
        format="multipart",
    )
    assert second.status_code == 201
    shown = as_(KAKARI).get(f"{API}proposals/{proposal['id']}/").json()["attachments"]
    assert [(a["version"], a["sha256"], a["frozen"]) for a in shown] == [
        (1, hashlib.sha256(first_bytes).hexdigest(), True)
    ]
    assert list(RoundAttachment.objects.values_list("round", "version__number")) == [(1, 1)]

    # Sent back and resubmitted: the new round asks about the version current then.
    task = task_of(as_, KAKARI, proposal["id"])
    post(as_, KAKARI, f"tasks/{task['id']}/send-back/", {"comment": "最新版で"})
    post(as_, DRAFTER, f"proposals/{proposal['id']}/submit/")
    assert sorted(RoundAttachment.objects.values_list("round", "version__number")) == [
        (1, 1),
        (2, 2),
    ]
    shown = as_(KAKARI).get(f"{API}proposals/{proposal['id']}/").json()["attachments"]
    assert [a["version"] for a in shown] == [2]


def test_a_confidential_attachment_is_visible_along_the_route_and_404_to_outsiders(as_):
    proposal = expenditure(as_)
    attached = attach(as_, proposal["id"], "秘 見積書", classification="confidential").json()
    download = f"{API}documents/{attached['document']}/download/?version=1"
    assert as_(ZAISEI_KACHO).get(download).status_code == 404  # not on a route yet

    post(as_, DRAFTER, f"proposals/{proposal['id']}/submit/")

    consulted = as_(ZAISEI_KACHO).get(download)
    assert consulted.status_code == 200
    assert b"".join(consulted.streaming_content).startswith(b"%PDF")
    assert as_(KAKARI).get(download).status_code == 200
    assert as_(OUTSIDER).get(download).status_code == 404
    assert as_(OUTSIDER).get(f"{API}documents/{attached['document']}/").status_code == 404


def test_the_decision_pdf_lists_the_attachments_with_their_hashes(as_):
    proposal = new_proposal(as_)
    data = make_pdf(["見積書"])
    as_(DRAFTER).post(
        f"{API}proposals/{proposal['id']}/attachments/",
        {"file": SimpleUploadedFile("m.pdf", data), "title": "見積書（株式会社交野建設）"},
        format="multipart",
    )
    post(as_, DRAFTER, f"proposals/{proposal['id']}/submit/")
    post(as_, KAKARI, f"tasks/{task_of(as_, KAKARI, proposal['id'])['id']}/approve/")
    post(as_, KACHO, f"tasks/{task_of(as_, KACHO, proposal['id'])['id']}/approve/")

    response = as_(DRAFTER).get(f"{API}proposals/{proposal['id']}/pdf/")

    text = "".join(
        page.extract_text() for page in pypdf.PdfReader(io.BytesIO(response.content)).pages
    )
    flat = "".join(text.split())
    assert "見積書（株式会社交野建設）" in flat
    assert hashlib.sha256(data).hexdigest() in flat
