"""Versions and disposal records are write-once, in the database itself."""

from __future__ import annotations

import io

import pytest
from django.db import DatabaseError, transaction

from documents import services
from documents.models import DisposalRecord, DocumentVersion
from tests.documents.conftest import make_pdf
from tests.services import on_postgresql

pytestmark = pytest.mark.django_db


def _version(org) -> DocumentVersion:
    data = make_pdf(["x"])
    document = services.document_upload(
        actor=org.zaisei_staff.user,
        content=io.BytesIO(data),
        name="a.pdf",
        size_bytes=len(data),
        title="t",
    )
    return document.current_version


def test_a_version_row_cannot_be_updated(org):
    version = _version(org)

    with pytest.raises(DatabaseError), transaction.atomic():
        DocumentVersion.objects.filter(pk=version.pk).update(original_name="forged.pdf")

    version.refresh_from_db()
    assert version.original_name == "a.pdf"


@pytest.mark.postgres
def test_a_version_row_cannot_be_deleted_on_postgresql(org):
    # SQLite keeps DELETE open for Django's test flush (see the migration).
    assert on_postgresql()
    version = _version(org)

    with pytest.raises(DatabaseError), transaction.atomic():
        DocumentVersion.objects.filter(pk=version.pk)._raw_delete(DocumentVersion.objects.db)

    assert DocumentVersion.objects.filter(pk=version.pk).exists()


def test_a_disposal_record_cannot_be_rewritten(org):
    record = DisposalRecord.objects.create(
        binder=services.binder_create(
            actor=org.zaisei_staff.user,
            unit=org.zaisei,
            fiscal_year=2020,
            title="b",
            retention_years=1,
        ),
        approval_reference="交総第1号",
        disposed_by=org.zaisei_staff.user,
        disposed_at="2026-05-01T00:00:00+09:00",
    )

    with pytest.raises(DatabaseError), transaction.atomic():
        DisposalRecord.objects.filter(pk=record.pk).update(approval_reference="forged")

    record.refresh_from_db()
    assert record.approval_reference == "交総第1号"
