"""Text extraction from PDF (pypdf), DOCX (python-docx) and plain text, with limits.

Pure functions: bytes in, text out, no database. Limits: at most ``MAX_PAGES`` PDF pages,
``MAX_CHARS`` characters, and a deadline of ``TIMEOUT_SECONDS`` checked between pages and
paragraphs (a cooperative timeout: the work stops at the next page; a hard kill would need a
subprocess per file). The result is NFKC-normalised, so 全角 ＡＢＣ１２３ and 半角 ｶﾀｶﾅ read as
ABC123 and カタカナ, as the search index expects.
"""

from __future__ import annotations

import io
import logging
import time
import unicodedata
from dataclasses import dataclass
from typing import IO

from documents import validation

MAX_PAGES = 500
MAX_CHARS = 1_000_000
TIMEOUT_SECONDS = 60.0

# pypdf is chatty about harmless defects of real-world PDFs.
logging.getLogger("pypdf").setLevel(logging.ERROR)


class ExtractionFailed(Exception):
    pass


@dataclass(frozen=True)
class Extracted:
    text: str
    is_truncated: bool


class _Collector:
    def __init__(self, *, max_chars: int, deadline: float) -> None:
        self.parts: list[str] = []
        self.size = 0
        self.max_chars = max_chars
        self.deadline = deadline
        self.is_truncated = False

    def add(self, text: str) -> bool:
        """Append; False once the character limit is reached (stop reading)."""
        if time.monotonic() > self.deadline:
            raise ExtractionFailed("extraction timed out")
        room = self.max_chars - self.size
        if len(text) >= room:
            self.parts.append(text[:room])
            self.size = self.max_chars
            self.is_truncated = True
            return False
        self.parts.append(text)
        self.size += len(text)
        return True

    def result(self, separator: str = "\n") -> Extracted:
        text = unicodedata.normalize("NFKC", separator.join(self.parts))
        return Extracted(text=text[: self.max_chars], is_truncated=self.is_truncated)


def extract_text(
    content: IO[bytes],
    content_type: str,
    *,
    max_pages: int = MAX_PAGES,
    max_chars: int = MAX_CHARS,
    timeout_seconds: float = TIMEOUT_SECONDS,
) -> Extracted | None:
    """The text of a file of ``content_type``; None for types without text (images, XLSX).

    Raises ExtractionFailed for an unreadable file or when the deadline passes.
    """
    collector = _Collector(max_chars=max_chars, deadline=time.monotonic() + timeout_seconds)
    content.seek(0)
    try:
        if content_type == validation.PDF:
            return _pdf(content, collector, max_pages=max_pages)
        if content_type == validation.DOCX:
            return _docx(content, collector)
        if content_type in (validation.TEXT_UTF8, validation.TEXT_SJIS):
            encoding = "utf-8-sig" if content_type == validation.TEXT_UTF8 else "cp932"
            collector.add(content.read().decode(encoding, errors="replace"))
            return collector.result()
    except ExtractionFailed:
        raise
    except Exception as exc:  # a damaged file can fail anywhere inside the parsers
        raise ExtractionFailed(f"{type(exc).__name__}: {exc}"[:400]) from exc
    return None


def _pdf(content: IO[bytes], collector: _Collector, *, max_pages: int) -> Extracted:
    from pypdf import PdfReader

    reader = PdfReader(content)
    pages = reader.pages
    for index, page in enumerate(pages):
        if index >= max_pages:
            collector.is_truncated = True
            break
        if not collector.add(page.extract_text() or ""):
            break
    return collector.result()


def _docx(content: IO[bytes], collector: _Collector) -> Extracted:
    import docx

    document = docx.Document(io.BytesIO(content.read()))
    for paragraph in document.paragraphs:
        if not collector.add(paragraph.text):
            return collector.result()
    for table in document.tables:
        for row in table.rows:
            if not collector.add("\t".join(cell.text for cell in row.cells)):
                return collector.result()
    return collector.result()
