"""Material files: storage under ``council/`` (apart from the records' ``blobs/``, which
``documents_orphans`` scans), and what a PDF tells about itself — page count, per-page text and
the outline (table of contents). Pure functions apart from storage; no database.

PDFium is not thread-safe: every call here runs under the lock the documents renderer holds for
its own PDFium calls (one lock per process), so text extraction never races a page render.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass
from typing import IO

import pypdfium2 as pdfium
from django.core.files.base import ContentFile

from documents import storage as blob_storage_mod
from documents.rendering import pages as rendering_pages
from documents.rendering.pages import DEFAULT_LIMITS

_PDFIUM_LOCK = rendering_pages._PDFIUM_LOCK  # the renderer's process-wide PDFium lock
MAX_OUTLINE_ITEMS = 500
MAX_PAGE_TEXT = 20_000


def key_for(sha256: str) -> str:
    """``council/ab/abcd…``: the content's hash, never a name."""
    blob_storage_mod.key_for(sha256)  # validates the digest
    return f"council/{sha256[:2]}/{sha256}"


def store(data: bytes) -> tuple[str, str]:
    """Store ``data`` once per content; (sha256, key)."""
    sha256 = hashlib.sha256(data).hexdigest()
    key = key_for(sha256)
    storage = blob_storage_mod.blob_storage()
    if not storage.exists(key):
        saved = storage.save(key, ContentFile(data, name=sha256))
        if saved != key:  # a concurrent writer of the same content won the name
            storage.delete(saved)
    return sha256, key


def load(*, key: str, sha256: str) -> bytes:
    """The stored bytes, verified against their SHA-256 (raises BlobIntegrityError)."""
    spool = blob_storage_mod.verify_blob(key=key, sha256=sha256)
    try:
        return spool.read()
    finally:
        spool.close()


def read_upload(content: IO[bytes]) -> bytes:
    content.seek(0)
    data = content.read()
    content.seek(0)
    return data


@dataclass(frozen=True)
class PdfFacts:
    page_count: int
    texts: list[str]
    outline: list[dict]


def normalize(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text or "").split())


def pdf_facts(pdf: bytes) -> PdfFacts:
    """Page count, each page's text (NFKC) and the outline; raises the renderer's InvalidPdf."""
    count = rendering_pages.page_count(pdf)  # validates: opens, refuses encrypted or too large
    texts: list[str] = []
    outline: list[dict] = []
    with _PDFIUM_LOCK:
        document = pdfium.PdfDocument(bytes(pdf))
        try:
            for index in range(min(count, DEFAULT_LIMITS.max_pages)):
                texts.append(_page_text(document, index))
            outline = _outline(document)
        finally:
            document.close()
    return PdfFacts(page_count=count, texts=texts, outline=outline)


def _page_text(document: pdfium.PdfDocument, index: int) -> str:
    """One page's text, NFKC; a page PDFium cannot read has none (it still renders or fails)."""
    try:
        page = document[index]
    except pdfium.PdfiumError:
        return ""
    try:
        textpage = page.get_textpage()
        try:
            return normalize(textpage.get_text_bounded())[:MAX_PAGE_TEXT]
        finally:
            textpage.close()
    except pdfium.PdfiumError:
        return ""
    finally:
        page.close()


def _outline(document: pdfium.PdfDocument) -> list[dict]:
    """The bookmarks (目次), at most MAX_OUTLINE_ITEMS; a broken outline is no outline."""
    outline: list[dict] = []
    try:
        for item in document.get_toc(max_depth=4):
            if len(outline) >= MAX_OUTLINE_ITEMS:
                break
            dest = item.get_dest()
            index = dest.get_index() if dest is not None else None
            outline.append(
                {
                    "title": normalize(item.get_title())[:200],
                    "level": int(getattr(item, "level", 0)),
                    "page": None if index is None else int(index) + 1,
                }
            )
    except (pdfium.PdfiumError, ValueError, AttributeError):
        return []
    return outline


def text_digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()
