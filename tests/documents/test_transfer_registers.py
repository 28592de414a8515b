"""Transfer (移管) packages and the 収受/発送 registers."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from audit.models import AuditEvent
from documents import hooks, services
from documents.hooks import DecidedProposal
from documents.models import RegisterEntry
from tests.documents.conftest import client_for, make_docx, make_pdf, upload

pytestmark = pytest.mark.django_db


def test_transfer_package_is_self_describing_and_hashes_match(org, zaisei_client):
    binder = services.binder_create(
        actor=org.zaisei_staff.user,
        unit=org.zaisei,
        fiscal_year=2019,
        title="例規",
        retention_years=0,
    )
    doc_id = upload(zaisei_client, "規則.pdf", make_pdf(["rule"]), binder=binder.pk).json()["id"]
    zaisei_client.post(
        f"/api/v1/documents/{doc_id}/versions/",
        {"file": SimpleUploadedFile("規則-改.docx", make_docx(["改正"]))},
        format="multipart",
    )

    response = zaisei_client.get(f"/api/v1/binders/{binder.pk}/transfer/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["format"] == "kairan-transfer/1"
    assert manifest["binder"]["title"] == "例規"
    assert manifest["binder"]["fiscal_year_label"] == "令和元年度"
    assert manifest["binder"]["retention_years"] is None  # 永年
    (document,) = manifest["documents"]
    assert [v["original_name"] for v in document["versions"]] == ["規則.pdf", "規則-改.docx"]
    for version in document["versions"]:
        assert hashlib.sha256(archive.read(version["path"])).hexdigest() == version["sha256"]
        assert len(archive.read(version["path"])) == version["size"]
        assert version["path"].startswith("files/")
    assert sorted(archive.namelist()) == sorted(
        ["manifest.json", *(v["path"] for v in document["versions"])]
    )
    event = AuditEvent.objects.get(action="documents.binder_transferred")
    assert (
        event.details["manifest_sha256"]
        == hashlib.sha256(archive.read("manifest.json")).hexdigest()
    )


def test_transfer_is_refused_to_other_divisions(org):
    binder = services.binder_create(
        actor=org.zaisei_staff.user,
        unit=org.zaisei,
        fiscal_year=2019,
        title="例規",
        retention_years=1,
    )

    response = client_for(org.keiyaku_staff).get(f"/api/v1/binders/{binder.pk}/transfer/")

    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action="documents.binder_transferred").exists()


def test_incoming_register_numbers_per_division_and_fiscal_year(org, zaisei_client):
    def post(on: str, client=zaisei_client):
        return client.post(
            "/api/v1/registers/incoming/",
            {"on": on, "counterpart": "大阪府 総務部", "subject": "調査依頼"},
        )

    numbers = [post(d).json()["number"] for d in ["2026-03-30", "2026-03-31", "2026-04-01"]]
    other = post("2026-03-31", client_for(org.keiyaku_staff)).json()

    assert numbers == [1, 2, 1]  # a new 年度 starts again at 1
    assert other["number"] == 1
    assert other["unit"] == "契約検査課"
    entries = RegisterEntry.objects.filter(unit=org.zaisei).order_by("on")
    assert [(e.fiscal_year, e.number) for e in entries] == [(2025, 1), (2025, 2), (2026, 1)]
    listed = zaisei_client.get("/api/v1/registers/incoming/?fiscal_year=2025").json()
    assert [e["number"] for e in listed] == [2, 1]


def test_register_refusals(org, zaisei_client):
    assert (
        zaisei_client.post("/api/v1/registers/incoming/", {"counterpart": "", "subject": "x"})
    ).status_code == 400
    linked = zaisei_client.post(
        "/api/v1/registers/incoming/", {"counterpart": "府", "subject": "x", "proposal": 1}
    )
    assert linked.status_code == 400
    assert RegisterEntry.objects.count() == 0


def test_outgoing_register_links_a_decided_proposal(org, zaisei_client):
    hooks.register(
        proposal=lambda user, pid: DecidedProposal(pid, "交財第5号", "通知") if pid == 5 else None
    )

    sent = zaisei_client.post(
        "/api/v1/registers/outgoing/",
        {"on": "2026-05-01", "counterpart": "市民 各位", "subject": "通知", "proposal": 5},
    )
    undecided = zaisei_client.post(
        "/api/v1/registers/outgoing/",
        {"on": "2026-05-01", "counterpart": "市民 各位", "subject": "通知", "proposal": 6},
    )

    assert sent.status_code == 201
    assert sent.json()["proposal"] == 5
    assert undecided.status_code == 400
    assert RegisterEntry.objects.get().kind == "outgoing"


def test_outgoing_register_validates_against_the_real_workflow(org, zaisei_client):
    # The resolver workflow registers in its ready() (this module's fixture reset the hooks):
    # an unknown proposal is refused.
    from workflow.proposals.selectors import decided_proposal_for

    hooks.register(proposal=decided_proposal_for)
    response = zaisei_client.post(
        "/api/v1/registers/outgoing/",
        {"on": "2026-05-01", "counterpart": "市民", "subject": "通知", "proposal": 424242},
    )

    assert response.status_code == 400


def test_a_person_without_a_post_cannot_register(councilor):
    response = client_for(councilor).post(
        "/api/v1/registers/incoming/", {"on": date(2026, 5, 1), "counterpart": "府", "subject": "x"}
    )

    assert response.status_code == 403
