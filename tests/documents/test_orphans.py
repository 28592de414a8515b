"""The orphan sweep finds files no live Blob row refers to, and leaves the others alone."""

from __future__ import annotations

import io
from io import StringIO

import pytest
from django.core.management import call_command

from documents import services
from documents.storage import key_for
from tests.documents.conftest import blob_path, make_pdf

pytestmark = pytest.mark.django_db


def test_orphans_are_listed_then_deleted(org, media_root):
    data = make_pdf(["kept"])
    document = services.document_upload(
        actor=org.zaisei_staff.user,
        content=io.BytesIO(data),
        name="a.pdf",
        size_bytes=len(data),
        title="t",
    )
    orphan = media_root / key_for("f" * 64)
    orphan.parent.mkdir(parents=True)
    orphan.write_bytes(b"left behind by a rolled-back upload")

    listed, deleted = StringIO(), StringIO()
    call_command("documents_orphans", "--min-age-hours=0", stdout=listed)
    call_command("documents_orphans", "--min-age-hours=0", "--delete", stdout=deleted)

    assert key_for("f" * 64) in listed.getvalue()
    assert "1 orphan file(s) found" in listed.getvalue()
    assert not orphan.exists()
    assert blob_path(document.current_version.blob.sha256).exists()


def test_young_files_are_left_alone(media_root):
    young = media_root / key_for("e" * 64)
    young.parent.mkdir(parents=True)
    young.write_bytes(b"an upload still committing")

    out = StringIO()
    call_command("documents_orphans", "--delete", stdout=out)

    assert young.exists()
    assert "0 orphan file(s) deleted" in out.getvalue()
