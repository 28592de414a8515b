"""Records screens: binder tree by 課 and 年度, binder and document detail, upload (with and
without JavaScript), extraction status fragment, disposal-due list, registers."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from audit.models import AuditEvent
from documents import services
from documents.models import Document
from tests.documents.conftest import make_docx, make_pdf

pytestmark = pytest.mark.django_db
LOCAL_BACKEND = "directory.backends.LocalAccountBackend"


def browser(person) -> Client:
    client = Client()
    client.force_login(person.user, backend=LOCAL_BACKEND)
    return client


def _binder(org, **kw):
    defaults = {"fiscal_year": 2026, "title": "予算編成", "retention_years": 5}
    return services.binder_create(actor=org.zaisei_staff.user, unit=org.zaisei, **(defaults | kw))


def _document(org, binder=None, classification=None):
    data = make_pdf(["x"])
    return services.document_upload(
        actor=org.zaisei_staff.user,
        content=io.BytesIO(data),
        name="予算書.pdf",
        size_bytes=len(data),
        title="予算書",
        binder=binder,
        classification=classification,
    )


def test_binder_tree_groups_by_division_and_fiscal_year(org):
    _binder(org)
    _binder(org, fiscal_year=2025, title="前年度")
    _binder(org, title="人事", classification="confidential")

    html = browser(org.zaisei_staff).get("/records/").content.decode()
    outsider_html = browser(org.keiyaku_staff).get("/records/").content.decode()

    assert "財政課" in html
    assert "令和8年度" in html
    assert "令和7年度" in html
    assert "予算編成" in html
    assert "人事" in html
    assert 'aria-current="page"' in html
    assert "予算編成" in outsider_html
    assert "人事" not in outsider_html


def test_a_binder_can_be_opened_from_the_tree(org):
    client = browser(org.zaisei_staff)

    response = client.post(
        "/records/",
        {"title": "契約書綴", "fiscal_year": 2026, "retention": 10, "classification": "internal"},
    )

    assert response.status_code == 302
    detail = client.get(response["Location"]).content.decode()
    assert "契約書綴" in detail
    assert "令和19年3月31日" in detail  # 2026 + 10 → March 31 of 2037 (令和19年)


def test_document_detail_shows_versions_preview_slot_and_extraction_status(org):
    document = _document(org, _binder(org))

    html = browser(org.zaisei_staff).get(f"/records/documents/{document.pk}/").content.decode()

    assert "予算書.pdf" in html
    assert 'id="preview"' in html
    assert 'data-testid="extraction-status"' in html
    assert 'hx-trigger="every 2s"' in html  # pending: the fragment polls itself
    assert document.current_version.blob.sha256 in html


def test_extraction_fragment_stops_polling_when_done(org):
    document = _document(org)
    services.extraction_run(version_id=document.current_version_id)

    html = (
        browser(org.zaisei_staff)
        .get(f"/records/documents/{document.pk}/extraction/")
        .content.decode()
    )

    assert "完了" in html
    assert "every 2s" not in html


def test_confidential_detail_is_404_to_outsiders_and_audited_for_members(org):
    document = _document(org, classification="confidential")

    assert browser(org.keiyaku_staff).get(f"/records/documents/{document.pk}/").status_code == 404
    assert browser(org.zaisei_kacho).get(f"/records/documents/{document.pk}/").status_code == 200
    assert AuditEvent.objects.filter(action="documents.viewed").count() == 1


def test_upload_page_posts_without_javascript_and_reports_bad_input(org):
    binder = _binder(org)
    client = browser(org.zaisei_staff)
    page = client.get(f"/records/upload/?binder={binder.pk}").content.decode()
    assert 'data-upload-api="/api/v1/documents/"' in page
    assert "<progress" in page

    bad = client.post(
        "/records/upload/",
        {"title": "偽PDF", "file": SimpleUploadedFile("a.pdf", b"not a pdf"), "binder": binder.pk},
    )
    assert bad.status_code == 200
    assert "拡張子" in bad.content.decode()
    assert Document.objects.count() == 0

    good = client.post(
        "/records/upload/",
        {
            "title": "計画",
            "file": SimpleUploadedFile("plan.docx", make_docx(["計画"])),
            "binder": binder.pk,
        },
    )
    assert good.status_code == 302
    assert Document.objects.get().binder == binder


def test_new_version_from_the_detail_page(org):
    document = _document(org)
    client = browser(org.zaisei_staff)

    response = client.post(
        f"/records/documents/{document.pk}/",
        {"file": SimpleUploadedFile("v2.pdf", make_pdf(["second"]))},
    )

    assert response.status_code == 302
    document.refresh_from_db()
    assert document.current_version.number == 2
    assert (
        browser(org.keiyaku_staff)
        .post(
            f"/records/documents/{document.pk}/",
            {"file": SimpleUploadedFile("v3.pdf", make_pdf(["third"]))},
        )
        .status_code
        == 403
    )


def test_download_from_the_screen_and_a_tampered_file_is_an_error_page(org, media_root):
    document = _document(org)
    client = browser(org.zaisei_staff)

    ok = client.get(f"/records/documents/{document.pk}/download/?version=1")
    assert ok.status_code == 200
    assert "attachment" in ok["Content-Disposition"]

    from tests.documents.conftest import blob_path

    blob_path(document.current_version.blob.sha256).write_bytes(b"tampered")
    broken = client.get(f"/records/documents/{document.pk}/download/")
    assert broken.status_code == 500
    assert "SHA-256" in broken.content.decode()


def test_disposal_due_list(org):
    due = _binder(org, fiscal_year=2020, retention_years=1, title="古い簿冊")
    _binder(org, fiscal_year=2026, retention_years=1, title="新しい簿冊")

    html = browser(org.zaisei_staff).get("/records/disposal/?on=2026-05-01").content.decode()
    other = browser(org.keiyaku_staff).get("/records/disposal/?on=2026-05-01").content.decode()

    assert due.title in html
    assert "新しい簿冊" not in html
    assert due.title not in other


def test_register_pages(org):
    from datetime import date

    from documents import registers

    registers.register_entry_create(
        actor=org.zaisei_staff.user,
        kind="incoming",
        on=date(2026, 5, 1),
        counterpart="大阪府",
        subject="照会",
    )

    html = browser(org.zaisei_staff).get("/records/registers/incoming/?fiscal_year=2026")
    assert "大阪府" in html.content.decode()
    assert browser(org.zaisei_staff).get("/records/registers/other/").status_code == 404


@pytest.mark.parametrize(
    "path", ["/records/", "/records/upload/", "/records/disposal/", "/records/documents/1/"]
)
def test_screens_need_sign_in(client, path):
    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_registering_an_incoming_entry_on_the_screen(org):
    client = browser(org.zaisei_staff)

    response = client.post(
        "/records/registers/incoming/",
        {"on": "2026-04-01", "counterpart": "大阪府", "subject": "調査依頼"},
    )
    refused = client.post(
        "/records/registers/incoming/", {"on": "2026-04-01", "counterpart": "", "subject": "x"}
    )

    assert response.status_code == 302
    assert response["Location"] == "/records/registers/incoming/?fiscal_year=2026"
    page = client.get(response["Location"]).content.decode()
    assert "調査依頼" in page
    assert "<td>1</td>" in page
    assert refused.status_code == 200
    from documents.models import RegisterEntry

    assert RegisterEntry.objects.count() == 1
