"""Page images of PDFs with pypdfium2: page count, one page, or many pages, as WebP (or PNG).

Pure functions from bytes to bytes: no database, no storage (STYLE.md). The documents
services and the council tablet reader call them and cache the result (``cache.py``).

Thread safety: PDFium keeps global state and is not thread-safe, not even for two different
documents, so every PDFium call in this process — opening, loading a page, rasterising,
closing — runs under ``_PDFIUM_LOCK``. Only rasterisation (~15-20 ms for an A4 page at
1600 px) is serialised; image encoding, the larger part, runs outside the lock. Objects are
closed explicitly under the lock, because pypdfium2's finalizers would otherwise call PDFium
from the garbage collector in whatever thread happens to run it. Several worker processes
each have their own PDFium and their own lock.

Known limit: a hostile PDF can keep PDFium busy for long inside the lock, and a thread cannot
be interrupted; rendering in the task worker (or a child process with a timeout) rather than
in request threads keeps that from stalling the site. Not done here: these stay pure functions.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import threading
from collections.abc import Generator, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from django.utils.translation import gettext_lazy as _
from PIL import Image, features

ImageFormat = Literal["webp", "png"]

# Re-entrant: an abandoned ``render_pages`` generator closes its document in its ``finally``,
# and the garbage collector may run that while this same thread already holds the lock.
_PDFIUM_LOCK = threading.RLock()

# libwebp's effort (0-6). Measured on A4 text pages at 1600 px (bench/bench_render_pages.py):
# 2 gives files ~2% larger than Pillow's default 4 in half the time; 0 gives ~20% larger.
WEBP_METHOD = 2

# The widths a page preview is rendered at. A requested width is snapped up to one of them, so
# a client asking for every width from 200 to 1600 costs four renders and four cached images,
# not 1,400 (each rendering is CPU and each cached image disk).
PREVIEW_WIDTHS_PX = (400, 800, 1200, 1600)


def snap_width(requested_px: int) -> int:
    """The smallest of ``PREVIEW_WIDTHS_PX`` at least ``requested_px`` wide, else the largest."""
    for width in PREVIEW_WIDTHS_PX:
        if requested_px <= width:
            return width
    return PREVIEW_WIDTHS_PX[-1]


@dataclass(frozen=True, slots=True)
class RenderLimits:
    """Bounds that keep one request from exhausting the server (a setting-like parameter)."""

    max_pages: int = 2000
    # 14,400 pt (200 inches) is the page-size limit of PDF 1.x readers; bigger is not a page.
    max_page_side_pt: float = 14_400.0
    min_page_side_pt: float = 1.0
    # A 6000 x 6000 RGB bitmap is ~100 MB: the most one render may allocate.
    max_image_side_px: int = 6000


DEFAULT_LIMITS = RenderLimits()


class PreviewError(Exception):
    """Base of the errors a page preview can end in; ``str()`` is a message for the user."""


class InvalidPdf(PreviewError, ValueError):
    """The bytes are not a PDF that PDFium can open (corrupt, truncated, another format)."""


class EncryptedPdf(InvalidPdf):
    """The PDF needs a password to open; Kairan never asks for one."""


class PdfTooLarge(InvalidPdf):
    """Too many pages, or a page whose size is absurd, for ``RenderLimits``."""


class PageOutOfRange(PreviewError, ValueError):
    """A page number outside 1..page_count."""


def page_count(pdf: bytes, *, limits: RenderLimits = DEFAULT_LIMITS) -> int:
    """The number of pages; raises ``InvalidPdf`` / ``EncryptedPdf`` / ``PdfTooLarge``."""
    with _open(pdf, limits) as document:
        return _length(document)


def render_page(
    pdf: bytes,
    page: int,
    *,
    max_width_px: int = 1600,
    max_height_px: int = 2400,
    fmt: ImageFormat = "webp",
    quality: int = 80,
    limits: RenderLimits = DEFAULT_LIMITS,
) -> bytes:
    """Page ``page`` (1-based) as an image that fits the bounds, aspect kept.

    Raises ``PageOutOfRange`` (a ``ValueError``) and the errors of ``page_count``.
    """
    images = render_pages(
        pdf,
        [page],
        max_width_px=max_width_px,
        max_height_px=max_height_px,
        fmt=fmt,
        quality=quality,
        limits=limits,
    )
    try:
        _number, image = next(images)
    finally:
        images.close()  # closes the document now, not whenever the generator is collected
    return image


def render_pages(
    pdf: bytes,
    pages: Iterable[int] | None = None,
    *,
    max_width_px: int = 1600,
    max_height_px: int = 2400,
    fmt: ImageFormat = "webp",
    quality: int = 80,
    limits: RenderLimits = DEFAULT_LIMITS,
) -> Generator[tuple[int, bytes], None, None]:
    """``(page number, image)`` for ``pages`` (all when None), opening the PDF once.

    A generator: the PDF is opened and every page number checked at the first ``next()``,
    before any page is rendered, so a bad number raises before any work is done.
    """
    _check_output(max_width_px, max_height_px, fmt, quality, limits)
    # One more than allowed is enough to refuse, and never loops forever on an endless iterable.
    requested = None if pages is None else list(itertools.islice(pages, limits.max_pages + 1))
    with _open(pdf, limits) as document:
        count = _length(document)
        numbers = list(range(1, count + 1)) if requested is None else requested
        if len(numbers) > limits.max_pages:
            raise PdfTooLarge(_("Too many pages requested at once."))
        for number in numbers:
            _check_page_number(number, count)
        for number in numbers:
            image = _rasterize(document, number - 1, max_width_px, max_height_px, limits)
            yield number, _encode(image, fmt, quality)


@contextmanager
def _open(pdf: bytes, limits: RenderLimits) -> Iterator[pdfium.PdfDocument]:
    if not isinstance(pdf, bytes | bytearray | memoryview):
        raise TypeError(f"pdf must be bytes, not {type(pdf).__name__}")
    data = bytes(pdf)
    if not data:
        raise InvalidPdf(_("The file is empty."))
    with _PDFIUM_LOCK:
        try:
            document = pdfium.PdfDocument(data)
        except pdfium.PdfiumError as exc:
            if exc.err_code == pdfium_c.FPDF_ERR_PASSWORD:
                raise EncryptedPdf(
                    _("The PDF is protected by a password; it cannot be previewed.")
                ) from exc
            raise InvalidPdf(_("The file is not a readable PDF.")) from exc
        # Form fields (申請書 filled in on screen) are only drawn with a form environment; a
        # broken form dictionary still leaves the page content renderable.
        with contextlib.suppress(pdfium.PdfiumError):
            document.init_forms()
    try:
        if _length(document) > limits.max_pages:
            raise PdfTooLarge(
                _("The PDF has more than %(max)d pages; it cannot be previewed.")
                % {"max": limits.max_pages}
            )
        yield document
    finally:
        with _PDFIUM_LOCK:
            document.close()


def _length(document: pdfium.PdfDocument) -> int:
    with _PDFIUM_LOCK:
        return len(document)


def _check_output(
    max_width_px: int, max_height_px: int, fmt: str, quality: int, limits: RenderLimits
) -> None:
    for name, value in (("max_width_px", max_width_px), ("max_height_px", max_height_px)):
        if not isinstance(value, int) or not 1 <= value <= limits.max_image_side_px:
            raise ValueError(f"{name} must be 1..{limits.max_image_side_px}, not {value!r}")
    if fmt not in ("webp", "png"):
        raise ValueError(f"fmt must be 'webp' or 'png', not {fmt!r}")
    if not isinstance(quality, int) or not 0 <= quality <= 100:
        raise ValueError(f"quality must be 0..100, not {quality!r}")
    if fmt == "webp" and not features.check("webp"):
        raise PreviewError(_("The image library was built without WebP support."))


def _check_page_number(number: int, count: int) -> None:
    # bool is an int; True as "page 1" would only hide a bug in the caller.
    if not isinstance(number, int) or isinstance(number, bool):
        raise TypeError(f"page numbers must be int, not {type(number).__name__}")
    if not 1 <= number <= count:
        raise PageOutOfRange(
            _("Page %(page)d does not exist; the document has %(count)d pages.")
            % {"page": number, "count": count}
        )


def fit_scale(width_pt: float, height_pt: float, max_width_px: int, max_height_px: int) -> float:
    """The PDFium scale (pixels per point) that fits a page into the bounds, aspect kept."""
    scale = min(max_width_px / width_pt, max_height_px / height_pt)
    # pypdfium2 sizes the bitmap as ceil(side * scale): shave a hair off so rounding error in
    # the product can never make the image one pixel larger than the bound.
    return scale * (1 - 1e-9)


def _rasterize(
    document: pdfium.PdfDocument,
    index: int,
    max_width_px: int,
    max_height_px: int,
    limits: RenderLimits,
) -> Image.Image:
    with _PDFIUM_LOCK:
        page = document[index]
        try:
            # The size as displayed, i.e. after the page's /Rotate.
            width_pt, height_pt = page.get_size()
            for side in (width_pt, height_pt):
                # Written so that NaN fails too.
                if not limits.min_page_side_pt <= side <= limits.max_page_side_pt:
                    raise PdfTooLarge(
                        _("Page %(page)d has an unusable size (%(width).0f x %(height).0f pt).")
                        % {"page": index + 1, "width": width_pt, "height": height_pt}
                    )
            scale = fit_scale(width_pt, height_pt, max_width_px, max_height_px)
            bitmap = page.render(scale=scale)
            try:
                # A copy, so the image outlives the PDFium buffer freed by close().
                image = bitmap.to_pil().copy()
            finally:
                bitmap.close()
        finally:
            page.close()
    return image


def _encode(image: Image.Image, fmt: ImageFormat, quality: int) -> bytes:
    out = io.BytesIO()
    if fmt == "webp":
        image.save(out, format="WEBP", quality=quality, method=WEBP_METHOD)
    else:
        image.save(out, format="PNG")
    return out.getvalue()
