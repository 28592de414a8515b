"""The records services keep the search index in step: upload (title), extraction (text),
new version, disposal (removed); search results respect visibility."""

from __future__ import annotations

import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from documents import hooks, services
from documents.hooks import ApprovedDisposal
from tests.documents.conftest import client_for, make_docx

pytestmark = pytest.mark.django_db


def _upload(org, text: str, *, classification: str = "internal", binder=None):
    data = make_docx([text])
    document = services.document_upload(
        actor=org.zaisei_staff.user,
        content=io.BytesIO(data),
        name="a.docx",
        size_bytes=len(data),
        title="資料",
        classification=classification,
        binder=binder,
    )
    services.extraction_run(version_id=document.current_version_id)
    return document


def _hits(person, q: str) -> list[int]:
    response = client_for(person).get("/api/v1/search/", {"q": q})
    assert response.status_code == 200
    return [r["id"] for r in response.json()["results"] if r["kind"] == "document"]


def test_extracted_text_becomes_searchable_with_two_character_terms(org):
    document = _upload(org, "棚田の保全について")

    assert _hits(org.zaisei_staff, "棚田") == [document.pk]
    assert _hits(org.zaisei_staff, "資料") == [document.pk]  # the title
    assert _hits(org.zaisei_staff, "予算") == []


def test_confidential_hits_only_for_those_who_may_see_them(org):
    document = _upload(org, "人事評価の記録", classification="confidential")

    assert _hits(org.zaisei_kacho, "人事") == [document.pk]
    assert _hits(org.keiyaku_staff, "人事") == []


def test_a_new_version_replaces_the_indexed_text(org):
    document = _upload(org, "第一版の本文")
    data = make_docx(["第二版の本文"])
    version = services.document_add_version(
        actor=org.zaisei_staff.user,
        document=document,
        content=io.BytesIO(data),
        name="b.docx",
        size_bytes=len(data),
    )
    services.extraction_run(version_id=version.pk)

    assert _hits(org.zaisei_staff, "第二版") == [document.pk]
    assert _hits(org.zaisei_staff, "第一版") == []


@time_machine.travel(datetime(2026, 5, 1, 9, 0, tzinfo=ZoneInfo("Asia/Tokyo")))
def test_disposed_documents_leave_the_index(org):
    binder = services.binder_create(
        actor=org.zaisei_staff.user,
        unit=org.zaisei,
        fiscal_year=2020,
        title="古い簿冊",
        retention_years=1,
    )
    _upload(org, "廃棄される文書", binder=binder)
    approval = ApprovedDisposal(reference="R1", binder_ids=frozenset({binder.pk}))
    hooks.register(disposal=lambda ref: approval if ref == "R1" else None)

    services.binder_dispose(actor=org.zaisei_staff.user, binder=binder, approval_reference="R1")

    assert _hits(org.zaisei_staff, "廃棄") == []
