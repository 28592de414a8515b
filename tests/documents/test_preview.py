"""Page previews: page count, WebP pages within bounds, bad PDFs, the cache, DOCX conversion."""

from __future__ import annotations

import hashlib
import io
import itertools
import math
import os
import shutil
import tempfile
import threading
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import docx
import pypdf
import pytest
from django.utils import translation
from PIL import Image
from reportlab.lib.pagesizes import A4, A5, landscape
from reportlab.pdfgen import canvas

from documents.rendering import (
    CACHE_VERSION,
    ConversionFailed,
    ConversionUnavailable,
    EncryptedPdf,
    InvalidPdf,
    PageOutOfRange,
    PdfTooLarge,
    RenderLimits,
    cache_path,
    cached_page,
    conversion_available,
    docx_to_pdf,
    drop_cached_pages,
    page_count,
    render_page,
    render_pages,
)
from documents.rendering import convert as convert_module
from workflow.proposals.rendering.fonts import japanese_fonts

BODY = "本市の電子決裁の運用に関し、議会資料はタブレットで閲覧する。予算、棚田、簿冊。"
# (page size in points, rotation set afterwards with pypdf)
PAGES = ((A4, 0), (landscape(A4), 0), (A5, 90))


def make_pdf(pages: tuple[tuple[tuple[float, float], int], ...] = PAGES) -> bytes:
    """Japanese text (IPAex embedded when installed, else CID) and shapes, one size per page."""
    fonts = japanese_fonts()
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    for number, ((width, height), _rotation) in enumerate(pages, start=1):
        pdf.setPageSize((width, height))
        pdf.setFont(fonts.gothic, 20)
        pdf.drawString(40, height - 60, f"第{number}頁　議案資料")
        pdf.setFont(fonts.mincho, 10)
        for line in range(min(20, int(height // 30))):
            pdf.drawString(40, height - 100 - line * 14, f"{line + 1}. {BODY}")
        pdf.setFillColorRGB(0.1, 0.3, 0.8)
        pdf.rect(40, 40, width / 3, 40, fill=1)
        pdf.showPage()
    pdf.save()
    if not any(rotation for _size, rotation in pages):
        return buffer.getvalue()
    reader = pypdf.PdfReader(io.BytesIO(buffer.getvalue()))
    writer = pypdf.PdfWriter()
    for page, (_size, rotation) in zip(reader.pages, pages, strict=True):
        writer.add_page(page)
        if rotation:
            writer.pages[-1].rotate(rotation)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.fixture(scope="module")
def pdf() -> bytes:
    return make_pdf()


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    # The messages are matched in English; LANGUAGE_CODE is "ja" and the catalog may have them.
    with translation.override("en"):
        yield


def decode(image: bytes) -> Image.Image:
    decoded = Image.open(io.BytesIO(image))
    decoded.load()
    return decoded


def is_webp(image: bytes) -> bool:
    return image[:4] == b"RIFF" and image[8:12] == b"WEBP"


def dark_fraction(image: Image.Image) -> float:
    histogram = image.convert("L").histogram()
    return sum(histogram[:128]) / sum(histogram)


# --- page count and rendering ---------------------------------------------------------------


def test_page_count_of_a_generated_multi_page_pdf(pdf):
    assert page_count(pdf) == 3


def test_each_page_renders_to_webp_that_fits_the_bounds_with_its_aspect(pdf):
    # Displayed sizes: A4 portrait, A4 landscape, A5 rotated by 90 degrees (so landscape).
    displayed = [(A4[0], A4[1]), (A4[1], A4[0]), (A5[1], A5[0])]

    for number, (width_pt, height_pt) in enumerate(displayed, start=1):
        image = render_page(pdf, number, max_width_px=800, max_height_px=1000)

        assert is_webp(image), image[:16]
        decoded = decode(image)
        assert decoded.format == "WEBP"
        width, height = decoded.size
        assert width <= 800
        assert height <= 1000
        assert 800 in (width, height) or 1000 in (width, height)  # fills one bound
        assert abs(width / height - width_pt / height_pt) < 0.01
        assert 0.002 < dark_fraction(decoded) < 0.5  # the text and shapes are there


def test_default_bounds_are_1600_by_2400(pdf):
    portrait = decode(render_page(pdf, 1))
    landscape_page = decode(render_page(pdf, 2))

    # PDFium rounds a fractional pixel up, within the bound.
    assert portrait.size == (1600, math.ceil(1600 * A4[1] / A4[0]))
    assert landscape_page.size == (1600, math.ceil(1600 * A4[0] / A4[1]))


def test_pages_differ_and_rendering_is_deterministic(pdf):
    first, second = render_page(pdf, 1), render_page(pdf, 2)

    assert first != second
    assert render_page(pdf, 1) == first


def test_png_output(pdf):
    image = render_page(pdf, 1, max_width_px=300, max_height_px=300, fmt="png")

    assert image.startswith(b"\x89PNG\r\n\x1a\n")
    assert max(decode(image).size) == 300


def test_render_pages_opens_once_and_yields_all_pages_or_those_asked_in_order(pdf):
    everything = list(render_pages(pdf, max_width_px=200, max_height_px=200))
    chosen = list(render_pages(pdf, [3, 1, 3], max_width_px=200, max_height_px=200))

    assert [n for n, _ in everything] == [1, 2, 3]
    assert all(is_webp(image) for _, image in everything)
    assert [n for n, _ in chosen] == [3, 1, 3]
    assert chosen[0][1] == everything[2][1]
    assert chosen[1][1] == everything[0][1]


@pytest.mark.parametrize("page", [0, -1, 4, 10_000])
def test_out_of_range_page_is_a_value_error(pdf, page):
    with pytest.raises(ValueError, match="does not exist") as caught:
        render_page(pdf, page)

    assert isinstance(caught.value, PageOutOfRange)


def test_render_pages_checks_every_number_before_rendering_any(pdf, monkeypatch):
    from documents.rendering import pages as pages_module

    rendered = []
    real = pages_module._rasterize
    monkeypatch.setattr(
        pages_module, "_rasterize", lambda *a, **k: rendered.append(a[1]) or real(*a, **k)
    )

    with pytest.raises(PageOutOfRange):
        next(render_pages(pdf, [1, 2, 9]))

    assert rendered == []


@pytest.mark.parametrize("page", [True, 1.0, "1"])
def test_page_numbers_must_be_ints(pdf, page):
    with pytest.raises(TypeError):
        render_page(pdf, page)


@pytest.mark.parametrize(
    "options",
    [
        {"max_width_px": 0},
        {"max_height_px": -5},
        {"max_width_px": 100_000},
        {"quality": 101},
        {"fmt": "gif"},
    ],
)
def test_bad_output_options_are_refused(pdf, options):
    with pytest.raises(ValueError, match="must be"):
        render_page(pdf, 1, **options)


# --- bad and hostile PDFs -------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [b"", b"not a pdf at all", b"%PDF-1.7\n%%EOF\n", b"<html><body>PDF</body></html>"],
    ids=["empty", "text", "header-only", "html"],
)
def test_corrupt_pdf_is_a_clear_error(data):
    with pytest.raises(InvalidPdf) as caught:
        page_count(data)
    with pytest.raises(InvalidPdf):
        render_page(data, 1)

    assert "PDF" in str(caught.value) or "empty" in str(caught.value)


def encrypted(pdf: bytes, user_password: str) -> bytes:
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(pdf)))
    # RC4 needs no extra crypto package; the point is only that the file is encrypted.
    writer.encrypt(user_password=user_password, owner_password="owner", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_pdf_that_needs_a_password_is_a_clear_error(pdf):
    locked = encrypted(pdf, user_password="secret")

    with pytest.raises(EncryptedPdf, match="password"):
        page_count(locked)
    with pytest.raises(EncryptedPdf):
        render_page(locked, 1)


def test_pdf_with_only_an_owner_password_is_previewed_like_any_viewer_does(pdf):
    # Permission-only encryption (no printing/copying) opens without a password everywhere;
    # refusing it would leave many official PDFs without a preview.
    restricted = encrypted(pdf, user_password="")

    assert page_count(restricted) == 3
    assert is_webp(render_page(restricted, 1, max_width_px=200, max_height_px=200))


def test_too_many_pages_are_refused(pdf):
    limits = RenderLimits(max_pages=2)

    with pytest.raises(PdfTooLarge, match="more than 2 pages"):
        page_count(pdf, limits=limits)
    with pytest.raises(PdfTooLarge):
        render_page(pdf, 1, limits=limits)


def test_too_many_requested_pages_are_refused_even_from_an_endless_iterable(pdf):
    with pytest.raises(PdfTooLarge, match="Too many pages"):
        next(render_pages(pdf, itertools.repeat(1), limits=RenderLimits(max_pages=5)))


def test_absurd_page_size_is_refused_when_rendered():
    huge = make_pdf((((20_000.0, 20_000.0), 0),))

    assert page_count(huge) == 1
    with pytest.raises(PdfTooLarge, match="unusable size"):
        render_page(huge, 1)
    # The limit is a parameter: a caller that really wants such a page can say so.
    image = render_page(huge, 1, limits=RenderLimits(max_page_side_pt=30_000))
    assert max(decode(image).size) <= 2400


# --- threads --------------------------------------------------------------------------------


def test_concurrent_renders_in_threads_give_the_serial_results(pdf):
    expected = dict(render_pages(pdf, max_width_px=400, max_height_px=400))
    results: list[dict[int, bytes]] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            results.append(dict(render_pages(pdf, max_width_px=400, max_height_px=400)))
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert not errors
    assert results == [expected] * 6


def test_an_abandoned_render_pages_generator_releases_the_document(pdf):
    pages = render_pages(pdf, max_width_px=100, max_height_px=100)
    next(pages)
    del pages  # closed by the garbage collector, under the (re-entrant) lock

    assert page_count(pdf) == 3


# --- cache ----------------------------------------------------------------------------------


@pytest.fixture
def cache_dir(tmp_path) -> Path:
    # A directory of its own: other fixtures of this package put files in tmp_path too.
    return tmp_path / "page-cache"


class CountingRender:
    def __init__(self, fn: Callable[[], bytes]) -> None:
        self.fn, self.calls = fn, 0

    def __call__(self) -> bytes:
        self.calls += 1
        return self.fn()


def test_cache_returns_identical_bytes_without_rendering_again(pdf, cache_dir):
    key = hashlib.sha256(pdf).hexdigest()
    render = CountingRender(lambda: render_page(pdf, 2, max_width_px=400, max_height_px=400))

    first = cached_page(key, 2, (400, 400), render, cache_dir=cache_dir)
    second = cached_page(key, 2, (400, 400), render, cache_dir=cache_dir)

    assert first == second
    assert is_webp(first)
    assert render.calls == 1
    stored = cache_dir / CACHE_VERSION / key[:2] / key / "p2-400x400.webp"
    assert stored.read_bytes() == first
    assert sorted(p.name for p in stored.parent.iterdir()) == ["p2-400x400.webp"]  # no tmp


def test_cache_keys_on_page_size_and_format(cache_dir):
    key = "a" * 64
    render = CountingRender(lambda: b"image")

    for page, size, fmt in [(1, (10, 10), "webp"), (2, (10, 10), "webp"), (1, (20, 10), "webp")]:
        cached_page(key, page, size, render, cache_dir=cache_dir, fmt=fmt)
    cached_page(key, 1, (10, 10), render, cache_dir=cache_dir, fmt="png")
    cached_page(key, 1, (10, 10), render, cache_dir=cache_dir)

    assert render.calls == 4


def test_cache_stores_nothing_when_rendering_fails(cache_dir):
    def broken() -> bytes:
        raise InvalidPdf("broken")

    with pytest.raises(InvalidPdf):
        cached_page("b" * 64, 1, (10, 10), broken, cache_dir=cache_dir)
    with pytest.raises(ValueError, match="non-empty bytes"):
        cached_page("b" * 64, 1, (10, 10), lambda: b"", cache_dir=cache_dir)

    assert [p for p in cache_dir.rglob("*") if p.is_file()] == []


def test_cache_treats_an_empty_file_as_a_miss(cache_dir):
    path = cache_path("c" * 64, 1, (10, 10), cache_dir=cache_dir)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"")

    assert cached_page("c" * 64, 1, (10, 10), lambda: b"fresh", cache_dir=cache_dir) == b"fresh"
    assert path.read_bytes() == b"fresh"


@pytest.mark.parametrize(
    ("key", "page", "size", "fmt"),
    [
        ("../" + "a" * 61, 1, (10, 10), "webp"),
        ("A" * 64, 1, (10, 10), "webp"),
        ("a" * 63, 1, (10, 10), "webp"),
        ("a" * 64, 0, (10, 10), "webp"),
        ("a" * 64, True, (10, 10), "webp"),
        ("a" * 64, 1, (0, 10), "webp"),
        ("a" * 64, 1, (10, 10, 10), "webp"),
        ("a" * 64, 1, (10, 10), "../x"),
    ],
)
def test_cache_refuses_keys_that_are_not_hash_page_size_format(cache_dir, key, page, size, fmt):
    with pytest.raises(ValueError, match="must be"):
        cached_page(key, page, size, lambda: b"x", cache_dir=cache_dir, fmt=fmt)

    assert not cache_dir.exists()


def test_cache_defaults_to_the_data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"

    cached_page("d" * 64, 1, (10, 10), lambda: b"x")

    assert (tmp_path / "data" / "cache" / "pages" / CACHE_VERSION / "dd" / ("d" * 64)).is_dir()


def test_dropping_the_pages_of_a_disposed_record(cache_dir):
    for page in (1, 2, 3):
        cached_page("e" * 64, page, (10, 10), lambda: b"x", cache_dir=cache_dir)
    cached_page("f" * 64, 1, (10, 10), lambda: b"y", cache_dir=cache_dir)

    assert drop_cached_pages("e" * 64, cache_dir=cache_dir) == 3
    assert drop_cached_pages("e" * 64, cache_dir=cache_dir) == 0
    assert not (cache_dir / CACHE_VERSION / "ee" / ("e" * 64)).exists()
    assert (cache_dir / CACHE_VERSION / "ff" / ("f" * 64) / "p1-10x10.webp").read_bytes() == b"y"


# --- DOCX → PDF -----------------------------------------------------------------------------


def make_docx(pages: int = 2) -> bytes:
    document = docx.Document()
    for number in range(1, pages + 1):
        document.add_heading(f"第{number}頁　議案資料", level=1)
        document.add_paragraph(BODY)
        if number < pages:
            document.add_page_break()
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_conversion_unavailable_without_libreoffice(monkeypatch):
    monkeypatch.setattr(convert_module.shutil, "which", lambda _name: None)

    assert conversion_available() is False
    with pytest.raises(ConversionUnavailable, match="LibreOffice is not installed"):
        docx_to_pdf(make_docx())


def test_a_file_that_is_not_a_docx_is_refused_before_starting_libreoffice(monkeypatch):
    monkeypatch.setattr(convert_module.shutil, "which", lambda _name: pytest.fail("no soffice"))

    with pytest.raises(ConversionFailed, match="not a Word"):
        docx_to_pdf(b"%PDF-1.7 not a docx")


def needs_soffice() -> None:
    # Optional by the issue ("skip with a clear message when it is not"): CI has no LibreOffice.
    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice (soffice) not installed: DOCX → PDF conversion not tested")


def test_docx_converts_to_a_pdf_whose_pages_render():
    needs_soffice()

    pdf = docx_to_pdf(make_docx(pages=2))

    assert pdf.startswith(b"%PDF-")
    assert page_count(pdf) == 2
    image = decode(render_page(pdf, 2, max_width_px=600, max_height_px=600))
    assert max(image.size) == 600
    assert dark_fraction(image) > 0.001


def soffice_processes_under(directory: Path) -> list[str]:
    found: list[str] = []
    if not Path("/proc").is_dir():  # not Linux: nothing to look at
        return found
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if str(directory) in cmdline:
            found.append(cmdline)
    return found


def test_conversion_timeout_kills_libreoffice_and_cleans_up(monkeypatch, tmp_path):
    needs_soffice()
    workdir = tmp_path / "soffice"
    workdir.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(workdir))

    with pytest.raises(ConversionFailed, match=r"did not finish within 0\.2 seconds"):
        docx_to_pdf(make_docx(), timeout_s=0.2)

    assert soffice_processes_under(workdir) == []
    assert list(workdir.iterdir()) == []  # the profile and files are gone


def test_a_zip_that_is_not_a_document_fails_clearly():
    needs_soffice()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.bin", os.urandom(64))

    with pytest.raises(ConversionFailed, match="could not convert"):
        docx_to_pdf(buffer.getvalue(), timeout_s=60)


def test_the_unavailable_message_reaches_the_ui_in_japanese(monkeypatch):
    monkeypatch.setattr(convert_module.shutil, "which", lambda _name: None)

    with pytest.raises(ConversionUnavailable) as caught:
        docx_to_pdf(make_docx())
    # The message is lazy: translated when the UI (in the user's language) shows it.
    with translation.override("ja"):
        message = str(caught.value)

    assert "LibreOffice" in message
    assert "not installed" not in message
    assert "DOCX" in message


def test_a_broken_pdf_preview_is_a_plain_sentence_not_the_exception(caplog):
    from django.utils import translation

    from documents.previews import _unavailable

    with caplog.at_level("WARNING", logger="documents.previews"), translation.override("ja"):
        error = _unavailable(ValueError("PdfStreamError: Stream has ended unexpectedly"))

    assert "PdfStreamError" not in error.message
    assert "プレビューを表示できません" in error.message
    assert "PdfStreamError" in caplog.text
