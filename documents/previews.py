"""Page previews of versions: verified bytes → PDF (DOCX through LibreOffice) → page images.

The pure rendering lives in ``documents/rendering/``; this module adds what needs the
database and the storage: visibility is the caller's selector, the bytes are verified against
their SHA-256, page images are cached by content hash, and views of confidential pages are
audited. Word files converted to PDF are kept under ``DATA_DIR/cache/pdf/<sha256>.pdf``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from audit import services as audit
from audit.exceptions import Conflict, KairanError
from documents import rendering, storage, validation
from documents.models import Classification, Document, DocumentVersion
from documents.services import BlobCorrupted

logger = logging.getLogger(__name__)

MAX_WIDTH_PX = 1600
PREVIEW_TYPES = (validation.PDF, validation.DOCX)


class PreviewUnavailable(KairanError):
    """No preview for this file (type, encryption, no LibreOffice, …): a message for the user."""

    status_code = 409


def _unavailable(exc: Exception) -> PreviewUnavailable:
    """A plain sentence for the user; the technical text (PdfStreamError, LibreOffice's output)
    goes to the log."""
    logger.warning("Page preview failed: %s", exc)
    if isinstance(exc, rendering.ConversionUnavailable):
        # Already a plain sentence that tells what is missing (LibreOffice on the server).
        return PreviewUnavailable(str(exc))
    return PreviewUnavailable(
        _(
            "No preview can be shown for this file: it may be damaged, protected by a password, "
            "or of a kind that cannot be converted. You can still download it."
        )
    )


def has_preview(version: DocumentVersion) -> bool:
    return version.content_type in PREVIEW_TYPES


def page_count(*, actor: Any, document: Document, version: DocumentVersion) -> int:
    """Pages of the version's PDF; raises PreviewUnavailable, Conflict, BlobCorrupted."""
    pdf = _pdf_of(document, version, actor=actor)
    try:
        return rendering.page_count(pdf)
    except rendering.PreviewError as exc:
        raise _unavailable(exc) from exc


def page_image(
    *,
    actor: Any,
    document: Document,
    version: DocumentVersion,
    page: int,
    width: int = 1200,
    request: Any = None,
) -> bytes:
    """Page ``page`` as WebP at most ``width`` px wide, snapped to one of a few widths (cached
    by content); audited for confidential documents. Raises PreviewUnavailable (409) or
    NotFound-like PageOutOfRange."""
    width = rendering.snap_width(min(int(width), MAX_WIDTH_PX))
    size = (width, width * 3 // 2)
    sha256 = version.blob.sha256

    def render() -> bytes:
        pdf = _pdf_of(document, version, actor=actor)
        return rendering.render_page(pdf, page, max_width_px=size[0], max_height_px=size[1])

    if not has_preview(version):
        raise PreviewUnavailable(_("This type of file has no page preview."))
    if document.disposed_at is not None:
        raise Conflict(_("This document has been disposed of."))
    try:
        image = rendering.cached_page(sha256, page, size, render)
    except rendering.PageOutOfRange as exc:
        raise PageMissing(str(exc)) from exc
    except rendering.PreviewError as exc:
        raise _unavailable(exc) from exc
    if document.classification == Classification.CONFIDENTIAL:
        audit.record(
            action="documents.page_viewed",
            actor=actor,
            target=document,
            request=request,
            details={"version": version.number, "page": page},
        )
    return image


class PageMissing(KairanError):
    status_code = 404


def _pdf_of(document: Document, version: DocumentVersion, *, actor: Any) -> bytes:
    if not has_preview(version):
        raise PreviewUnavailable(_("This type of file has no page preview."))
    if document.disposed_at is not None or version.blob.purged_at is not None:
        raise Conflict(_("This document has been disposed of."))
    if version.content_type == validation.DOCX:
        cached = _converted_path(version.blob.sha256)
        with contextlib.suppress(FileNotFoundError):
            return cached.read_bytes()
    try:
        content = storage.verify_blob(key=version.blob.storage_key, sha256=version.blob.sha256)
    except storage.BlobIntegrityError as exc:
        audit.record(
            action="documents.integrity_failed",
            actor=actor,
            target=version.blob,
            details={"document": document.pk, "version": version.number},
        )
        raise BlobCorrupted(
            _("The stored file failed its integrity check (SHA-256 mismatch) and is not served.")
        ) from exc
    with content:
        data = content.read()
    if version.content_type == validation.PDF:
        return data
    try:
        pdf = rendering.docx_to_pdf(data)
    except rendering.PreviewError as exc:
        raise _unavailable(exc) from exc
    _write_atomic(_converted_path(version.blob.sha256), pdf)
    return pdf


def _converted_path(sha256: str) -> Path:
    storage.key_for(sha256)  # validates the hex digest before it becomes a file name
    return Path(settings.DATA_DIR) / "cache" / "pdf" / f"{sha256}.pdf"


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
