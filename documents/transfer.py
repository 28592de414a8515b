"""Transfer (移管) of a binder to the archives: a self-describing zip package.

``manifest.json`` at the root describes the binder, each document, each version (original
name, content type, size, SHA-256, who uploaded it and when) and the filed proposals. Files sit
under ``files/`` with names made from ids (``files/000123-v2.pdf``), never from the original
names. Every file is verified against its SHA-256 while it is copied.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
import zipfile
from typing import IO, Any

from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone
from django.utils.translation import gettext as _

from audit import services as audit
from audit.exceptions import PermissionRefused
from audit.transactions import atomic_service
from directory.calendar import fiscal_year_label
from documents import permissions, storage
from documents.models import Binder, Document, DocumentVersion, Retention
from documents.services import BlobCorrupted

MANIFEST_FORMAT = "kairan-transfer/1"
_EXTENSIONS = {
    "application/pdf": ".pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "image/png": ".png",
    "image/jpeg": ".jpg",
}


def package_file_name(binder: Binder) -> str:
    return f"binder-{binder.pk}-{binder.fiscal_year}-transfer.zip"


@atomic_service
def binder_transfer_package(*, actor: Any, binder: Binder, request: Any = None) -> IO[bytes]:
    """The transfer package of a binder as a spooled file at position 0 (close it when done).

    Raises PermissionRefused (403) and BlobCorrupted (500) when a file fails verification.
    """
    if not permissions.can_transfer_binder(actor, binder):
        raise PermissionRefused(_("You may not export this binder."))
    package = tempfile.SpooledTemporaryFile(max_size=32 * 1024 * 1024)  # noqa: SIM115
    documents = list(
        Document.objects.filter(binder=binder, disposed_at__isnull=True)
        .select_related("unit", "created_by")
        .order_by("pk")
    )
    entries: list[dict[str, Any]] = []
    with zipfile.ZipFile(package, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for document in documents:
            versions = DocumentVersion.objects.filter(document=document).select_related(
                "blob", "uploaded_by"
            )
            entries.append(_document_entry(archive, document, list(versions.order_by("number"))))
        manifest = _manifest(binder, entries, actor)
        raw = json.dumps(manifest, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
        archive.writestr("manifest.json", raw.encode("utf-8"))
    audit.record(
        action="documents.binder_transferred",
        actor=actor,
        target=binder,
        request=request,
        details={
            "documents": len(entries),
            "manifest_sha256": hashlib.sha256(raw.encode("utf-8")).hexdigest(),
        },
    )
    package.seek(0)
    return package


def _document_entry(
    archive: zipfile.ZipFile, document: Document, versions: list[DocumentVersion]
) -> dict[str, Any]:
    files = []
    for version in versions:
        path = f"files/{document.pk:06d}-v{version.number}{_extension(version)}"
        try:
            content = storage.verify_blob(key=version.blob.storage_key, sha256=version.blob.sha256)
        except storage.BlobIntegrityError as exc:
            raise BlobCorrupted(
                _("A file of this binder failed its integrity check; nothing was exported.")
            ) from exc
        with content, archive.open(path, "w") as target:
            while chunk := content.read(storage.CHUNK_BYTES):
                target.write(chunk)
        files.append(
            {
                "version": version.number,
                "path": path,
                "original_name": version.original_name,
                "content_type": version.content_type,
                "size": version.size_bytes,
                "sha256": version.blob.sha256,
                "uploaded_by": version.uploaded_by.get_username(),
                "uploaded_at": version.uploaded_at,
                "is_current": version.pk == document.current_version_id,
            }
        )
    return {
        "id": document.pk,
        "title": document.title,
        "classification": document.classification,
        "unit": document.unit.name,
        "created_by": document.created_by.get_username(),
        "created_at": document.created_at,
        "versions": files,
    }


def _manifest(binder: Binder, documents: list[dict[str, Any]], actor: Any) -> dict[str, Any]:
    return {
        "format": MANIFEST_FORMAT,
        "generated_at": timezone.now(),
        "generated_by": actor.get_username(),
        "hash_algorithm": "sha256",
        "binder": {
            "id": binder.pk,
            "title": binder.title,
            "unit": binder.unit.name,
            "fiscal_year": binder.fiscal_year,
            "fiscal_year_label": fiscal_year_label(binder.fiscal_year),
            "retention_years": None if binder.is_permanent else binder.retention,
            "retention_label": str(Retention(binder.retention).label),
            "classification": binder.classification,
            "status": binder.status,
            "closed_on": binder.closed_on,
            "disposal_on": binder.disposal_on,
            "is_legal_hold": binder.is_legal_hold,
        },
        "documents": documents,
        "proposals": [
            {
                "proposal_id": filed.proposal_id,
                "document_number": filed.document_number,
                "title": filed.title,
                "filed_at": filed.filed_at,
            }
            for filed in binder.proposals.order_by("filed_at", "pk")
        ],
    }


def _extension(version: DocumentVersion) -> str:
    if version.content_type.startswith("text/"):
        return ".txt"
    return _EXTENSIONS.get(version.content_type, ".bin")
