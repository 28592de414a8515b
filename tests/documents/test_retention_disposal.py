"""Retention dates across fiscal-year boundaries, legal hold, and disposal only on an approved
reference, with a disposal record that survives."""

from __future__ import annotations

import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.db.models import ProtectedError

from audit.exceptions import Conflict, PermissionRefused, ValidationFailed
from audit.models import AuditEvent
from documents import hooks, retention, selectors, services
from documents.hooks import ApprovedDisposal
from documents.models import Binder, Blob, DisposalRecord, Document, Retention
from tests.documents.conftest import blob_path, client_for, make_pdf

pytestmark = pytest.mark.django_db
TOKYO = ZoneInfo("Asia/Tokyo")


@pytest.mark.parametrize(
    ("closed_on", "years", "expected"),
    [
        (date(2025, 3, 31), 1, date(2026, 3, 31)),  # last day of 令和6年度
        (date(2025, 4, 1), 1, date(2027, 3, 31)),  # first day of 令和7年度
        (date(2025, 3, 31), 5, date(2030, 3, 31)),
        (date(2025, 4, 1), 30, date(2056, 3, 31)),
        (date(2025, 4, 1), 0, None),  # 永年
    ],
)
def test_disposal_date_counts_from_the_end_of_the_closing_fiscal_year(closed_on, years, expected):
    closing = retention.closing_fiscal_year(binder_fiscal_year=2020, closed_on=closed_on)
    assert retention.disposal_date(closing_fy=closing, retention=years) == expected


def test_an_unknown_retention_period_is_refused():
    with pytest.raises(ValueError, match="retention"):
        retention.disposal_date(closing_fy=2025, retention=7)


def test_due_the_day_after_the_disposal_date():
    assert not retention.is_due(disposal_on=date(2026, 3, 31), on=date(2026, 3, 31))
    assert retention.is_due(disposal_on=date(2026, 3, 31), on=date(2026, 4, 1))
    assert not retention.is_due(disposal_on=None, on=date(9999, 1, 1))


def _binder(org, *, fy: int = 2020, years: int = 1, title: str = "予算編成", **kw) -> Binder:
    return services.binder_create(
        actor=org.zaisei_staff.user,
        unit=org.zaisei,
        fiscal_year=fy,
        title=title,
        retention_years=years,
        **kw,
    )


def _file(org, binder: Binder, text: str = "予算", data: bytes | None = None) -> Document:
    data = data or make_pdf([text])
    return services.document_upload(
        actor=org.zaisei_staff.user,
        content=io.BytesIO(data),
        name="a.pdf",
        size_bytes=len(data),
        title=text,
        binder=binder,
    )


def test_binder_disposal_date_and_closing_across_march_31_and_april_1(org):
    binder = _binder(org, fy=2024, years=3)
    assert binder.disposal_on == date(2028, 3, 31)

    closed = services.binder_close(
        actor=org.zaisei_staff.user, binder=binder, closed_on=date(2025, 3, 31)
    )
    assert closed.disposal_on == date(2028, 3, 31)

    later = _binder(org, fy=2024, years=3, title="継続簿冊")
    closed = services.binder_close(
        actor=org.zaisei_staff.user, binder=later, closed_on=date(2025, 4, 1)
    )
    assert closed.disposal_on == date(2029, 3, 31)


def test_permanent_binders_have_no_disposal_date_and_are_never_due(org):
    binder = _binder(org, years=Retention.PERMANENT)

    assert binder.disposal_on is None
    assert binder not in selectors.binders_due_for_disposal(org.zaisei, date(2999, 1, 1))


def test_binders_due_for_disposal(org):
    due = _binder(org, fy=2020, years=1, title="A")  # disposal date 2022-03-31
    not_yet = _binder(org, fy=2021, years=1, title="B")  # 2023-03-31
    held = _binder(org, fy=2020, years=1, title="C")
    services.binder_set_legal_hold(actor=_holder(org), binder=held, is_held=True, reason="訴訟")

    assert list(selectors.binders_due_for_disposal(org.zaisei, date(2022, 3, 31))) == []
    assert list(selectors.binders_due_for_disposal(org.zaisei, date(2022, 4, 1))) == [due]
    assert set(selectors.binders_due_for_disposal(org.zaisei, date(2023, 4, 1))) == {due, not_yet}
    assert held in selectors.binders_due_for_disposal(
        org.zaisei, date(2023, 4, 1), include_held=True
    )
    assert list(selectors.binders_due_for_disposal(org.keiyaku, date(2023, 4, 1))) == []


def _holder(org):
    user = org.keiyaku_kacho.user
    user.user_permissions.add(Permission.objects.get(codename="set_legal_hold"))
    return type(user).objects.get(pk=user.pk)


def _approve(*binders: Binder, reference: str = "交総第12号") -> str:
    approval = ApprovedDisposal(
        reference=reference,
        binder_ids=frozenset(b.pk for b in binders),
        approved_by=["zkacho", "somu_kacho"],
        approved_at=datetime(2026, 4, 10, 10, 0, tzinfo=TOKYO),
    )
    hooks.register(disposal=lambda ref: approval if ref == reference else None)
    return reference


@time_machine.travel(datetime(2026, 5, 1, 9, 0, tzinfo=TOKYO))
def test_disposal_without_an_approved_reference_is_refused(org):
    binder = _binder(org, fy=2020)
    document = _file(org, binder)

    for reference in ["", "交総第99号"]:
        with pytest.raises(PermissionRefused):
            services.binder_dispose(
                actor=org.zaisei_staff.user, binder=binder, approval_reference=reference
            )
    _approve(_binder(org, fy=2020, title="別の簿冊"))  # approved, but for another binder
    with pytest.raises(PermissionRefused):
        services.binder_dispose(
            actor=org.zaisei_staff.user, binder=binder, approval_reference="交総第12号"
        )

    response = client_for(org.zaisei_staff).post(f"/api/v1/binders/{binder.pk}/dispose/", {})
    assert response.status_code == 403
    binder.refresh_from_db()
    assert binder.status == Binder.Status.OPEN
    assert DisposalRecord.objects.count() == 0
    assert blob_path(document.current_version.blob.sha256).exists()


@time_machine.travel(datetime(2026, 5, 1, 9, 0, tzinfo=TOKYO))
def test_legal_hold_blocks_disposal(org):
    binder = _binder(org, fy=2020)
    _file(org, binder)
    reference = _approve(binder)
    services.binder_set_legal_hold(
        actor=_holder(org), binder=binder, is_held=True, reason="情報公開訴訟"
    )

    with pytest.raises(Conflict):
        services.binder_dispose(
            actor=org.zaisei_staff.user, binder=binder, approval_reference=reference
        )

    assert DisposalRecord.objects.count() == 0
    services.binder_set_legal_hold(actor=_holder(org), binder=binder, is_held=False)
    services.binder_dispose(
        actor=org.zaisei_staff.user, binder=binder, approval_reference=reference
    )
    assert DisposalRecord.objects.count() == 1


@time_machine.travel(datetime(2026, 3, 31, 23, 0, tzinfo=TOKYO))
def test_disposal_before_the_end_of_retention_is_refused(org):
    binder = _binder(org, fy=2024)  # disposal date 2026-03-31: due from April 1
    reference = _approve(binder)

    with pytest.raises(Conflict):
        services.binder_dispose(
            actor=org.zaisei_staff.user, binder=binder, approval_reference=reference
        )


@time_machine.travel(datetime(2026, 5, 1, 9, 0, tzinfo=TOKYO))
def test_approved_disposal_purges_files_and_keeps_a_record_forever(
    org, zaisei_client, django_capture_on_commit_callbacks
):
    binder = _binder(org, fy=2020)
    first = _file(org, binder, "第一")
    second = _file(org, binder, "第二")
    same_bytes = blob_path(first.current_version.blob.sha256).read_bytes()
    kept = _binder(org, fy=2025, years=10, title="保存")
    shared = _file(org, kept, "写し", data=same_bytes)
    other_only = second.current_version.blob
    reference = _approve(binder)

    with django_capture_on_commit_callbacks(execute=True):
        response = zaisei_client.post(
            f"/api/v1/binders/{binder.pk}/dispose/", {"approval": reference}
        )

    assert response.status_code == 201, response.content
    record = DisposalRecord.objects.get()
    assert record.approval_reference == "交総第12号"
    assert record.approved_by == ["zkacho", "somu_kacho"]
    assert record.disposed_by == org.zaisei_staff.user
    assert {(i["document"], i["sha256"]) for i in record.items} == {
        (first.pk, first.current_version.blob.sha256),
        (second.pk, second.current_version.blob.sha256),
    }
    assert record.binder_snapshot["title"] == "予算編成"
    binder.refresh_from_db()
    assert binder.status == Binder.Status.DISPOSED
    assert Document.objects.filter(binder=binder, disposed_at__isnull=False).count() == 2
    # The file only this binder used is gone; the one another binder shares stays.
    assert not blob_path(other_only.sha256).exists()
    assert Blob.objects.get(pk=other_only.pk).purged_at is not None
    assert blob_path(shared.current_version.blob.sha256).exists()
    assert zaisei_client.get(f"/api/v1/documents/{shared.pk}/download/").status_code == 200
    assert zaisei_client.get(f"/api/v1/documents/{second.pk}/download/").status_code == 409
    assert AuditEvent.objects.filter(action="documents.binder_disposed").count() == 1

    again = zaisei_client.post(f"/api/v1/binders/{binder.pk}/dispose/", {"approval": reference})
    assert again.status_code == 409
    with pytest.raises(ProtectedError):
        binder.delete()
    assert DisposalRecord.objects.filter(pk=record.pk).exists()


@time_machine.travel(datetime(2026, 5, 1, 9, 0, tzinfo=TOKYO))
def test_only_members_of_the_division_carry_out_a_disposal(org):
    binder = _binder(org, fy=2020)
    reference = _approve(binder)

    with pytest.raises(PermissionRefused):
        services.binder_dispose(
            actor=org.keiyaku_staff.user, binder=binder, approval_reference=reference
        )


def test_legal_hold_needs_the_permission_and_a_reason(org, zaisei_client):
    binder = _binder(org)

    response = zaisei_client.post(
        f"/api/v1/binders/{binder.pk}/legal-hold/", {"is_held": True, "reason": "訴訟"}
    )
    assert response.status_code == 403
    with pytest.raises(ValidationFailed):
        services.binder_set_legal_hold(actor=_holder(org), binder=binder, is_held=True, reason=" ")

    holder = client_for(org.keiyaku_kacho)
    _holder(org)
    response = holder.post(
        f"/api/v1/binders/{binder.pk}/legal-hold/", {"is_held": True, "reason": "訴訟"}
    )
    assert response.status_code == 200
    assert response.json()["is_legal_hold"] is True
    assert AuditEvent.objects.filter(action="documents.legal_hold_placed").count() == 1


def test_binder_api_create_list_and_refusals(org, zaisei_client):
    response = zaisei_client.post(
        "/api/v1/binders/", {"title": "契約書綴", "fiscal_year": 2026, "retention": 5}
    )
    assert response.status_code == 201, response.content
    assert response.json()["unit"] == "財政課"
    assert response.json()["disposal_on"] == "2032-03-31"

    duplicate = zaisei_client.post(
        "/api/v1/binders/", {"title": "契約書綴", "fiscal_year": 2026, "retention": 5}
    )
    assert duplicate.status_code == 400
    bad = zaisei_client.post(
        "/api/v1/binders/", {"title": "x", "fiscal_year": 2026, "retention": 7}
    )
    assert bad.status_code == 400
    other_unit = zaisei_client.post(
        "/api/v1/binders/",
        {"title": "x", "fiscal_year": 2026, "retention": 1, "unit": org.keiyaku.pk},
    )
    assert other_unit.status_code == 403
    listed = zaisei_client.get("/api/v1/binders/?fiscal_year=2026").json()
    assert [b["title"] for b in listed] == ["契約書綴"]


def test_confidential_binder_is_404_to_outsiders_and_filing_needs_membership(org):
    binder = _binder(org, classification="confidential")
    outsider = client_for(org.keiyaku_staff)

    assert outsider.get(f"/api/v1/binders/{binder.pk}/").status_code == 404
    open_binder = _binder(org, title="公開簿冊")
    data = make_pdf(["x"])
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = outsider.post(
        "/api/v1/documents/",
        {"file": SimpleUploadedFile("a.pdf", data), "title": "t", "binder": open_binder.pk},
        format="multipart",
    )
    assert response.status_code == 403
    assert Document.objects.count() == 0


def test_documents_in_a_binder_inherit_its_unit_year_and_classification(org):
    binder = _binder(org, fy=2023, classification="confidential")

    document = _file(org, binder)

    assert (document.unit, document.fiscal_year, document.classification) == (
        org.zaisei,
        2023,
        "confidential",
    )


def test_filing_a_decided_proposal(org, zaisei_client):
    from documents.hooks import DecidedProposal

    binder = _binder(org)
    hooks.register(
        proposal=lambda user, pid: (
            DecidedProposal(pid, "交財第3号", "補正予算") if pid == 7 else None
        )
    )

    response = zaisei_client.post(f"/api/v1/binders/{binder.pk}/proposals/", {"proposal": 7})
    refused = zaisei_client.post(f"/api/v1/binders/{binder.pk}/proposals/", {"proposal": 8})
    again = zaisei_client.post(f"/api/v1/binders/{binder.pk}/proposals/", {"proposal": 7})

    assert response.status_code == 201
    assert response.json()["document_number"] == "交財第3号"
    assert refused.status_code == 400
    assert again.status_code == 409
    detail = zaisei_client.get(f"/api/v1/binders/{binder.pk}/").json()
    assert detail["proposals"][0]["title"] == "補正予算"
