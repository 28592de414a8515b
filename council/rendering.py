"""Page images of materials: two sizes, cached by the PDF's hash (documents.rendering), pre-rendered
after upload, and watermarked with the reader's name when served (a leak deterrent).

Pre-rendering is the job ``council.tasks.prerender_version``, queued with the upload: on an
external task worker it renders here to the end; in the embedded setup the job hands the work to
a bounded background thread (``prerender_later``). Progress is the number of cached pages, read
from the cache itself, so the web process sees a worker's progress too.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache, partial
from pathlib import Path

from django.conf import settings
from PIL import Image, ImageDraw, ImageFont

from council import files
from documents.rendering import cache_path, cached_page, default_cache_dir, render_page

logger = logging.getLogger(__name__)

SIZES = {"page": (1600, 2400), "thumb": (240, 340)}
WATERMARK_FONTS = (
    "/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf",
    "/usr/share/fonts/truetype/fonts-japanese-gothic.ttf",
)
_PRERENDER_SLOTS = threading.BoundedSemaphore(2)


def page_image(*, sha256: str, key: str, page: int, size: str = "page") -> bytes:
    """The WebP of ``page`` at ``size`` ("page" or "thumb"), from the cache or rendered now."""
    width, height = SIZES[size]
    return cached_page(
        sha256,
        page,
        (width, height),
        lambda: render_page(
            files.load(key=key, sha256=sha256), page, max_width_px=width, max_height_px=height
        ),
    )


def rendered_count(*, sha256: str, pages: int, size: str = "page") -> int:
    """How many pages of this PDF are in the cache at ``size`` (the progress of pre-rendering)."""
    width, height = SIZES[size]
    directory = cache_path(sha256, 1, (width, height), cache_dir=default_cache_dir()).parent
    if not directory.is_dir():
        return 0
    suffix = f"-{width}x{height}.webp"
    return min(pages, sum(1 for entry in directory.iterdir() if entry.name.endswith(suffix)))


def render_threads() -> int:
    """How many pages are encoded at once (``COUNCIL_RENDER_THREADS``; default: the cores, at
    most 8). libwebp's encoding — nine tenths of a page's cost — runs without the GIL, while
    PDFium's rasterising stays one at a time under the renderer's lock."""
    configured = getattr(settings, "COUNCIL_RENDER_THREADS", None)
    if configured:
        return max(1, min(int(configured), 32))
    return max(1, min(os.cpu_count() or 1, 8))


def prerender(*, sha256: str, key: str, pages: int, threads: int | None = None) -> int:
    """Render every page (first the first pages, both sizes) into the cache; how many rendered.

    The missing pages of each size are dealt round-robin to ``threads`` workers, each with its
    own document (``documents.rendering.render_pages``), so page 1, 2, … come out first.
    """
    pdf = files.load(key=key, sha256=sha256)
    workers = threads or render_threads()
    done = 0
    for size in ("page", "thumb"):
        width, height = SIZES[size]
        missing = [
            n
            for n in range(1, pages + 1)
            if not cache_path(sha256, n, (width, height), cache_dir=default_cache_dir()).exists()
        ]
        if not missing:
            continue
        shares = [missing[i :: min(workers, len(missing))] for i in range(workers)]
        shares = [share for share in shares if share]
        if len(shares) == 1:
            done += _render_share(pdf, sha256, shares[0], width=width, height=height)
            continue
        with ThreadPoolExecutor(len(shares), thread_name_prefix="council-render") as pool:
            render = partial(_render_share, pdf, sha256, width=width, height=height)
            done += sum(pool.map(render, shares))
    return done


def _render_share(pdf: bytes, sha256: str, numbers: list[int], *, width: int, height: int) -> int:
    from documents.rendering import render_pages

    count = 0
    for number, image in render_pages(pdf, numbers, max_width_px=width, max_height_px=height):
        _store(sha256, number, (width, height), image)
        count += 1
    return count


def _store(sha256: str, page: int, size: tuple[int, int], image: bytes) -> None:
    def ready() -> bytes:
        return image

    cached_page(sha256, page, size, ready)


def background_mode() -> str:
    """``KAIRAN_COUNCIL_PRERENDER``: ``thread`` [default] (the job, run after the commit,
    renders in a thread), ``inline`` (in the request) or ``off`` (no job; pages render on their
    first request). With ``KAIRAN_TASK_WORKERS=external`` a worker renders (``thread`` or
    ``inline``)."""
    return getattr(settings, "COUNCIL_PRERENDER", "thread")


def prerender_later(*, sha256: str, key: str, pages: int) -> None:
    """Pre-render both sizes of every page, in the background (see ``background_mode``)."""
    mode = background_mode()
    if mode == "off":
        return

    def run() -> None:
        with _PRERENDER_SLOTS:
            try:
                prerender(sha256=sha256, key=key, pages=pages)
            except Exception:  # a background cache fill: the page is rendered on demand instead
                logger.exception("pre-rendering %s failed", sha256)

    if mode == "inline":
        run()
        return
    threading.Thread(target=run, name=f"council-prerender-{sha256[:8]}", daemon=True).start()


# --- watermark --------------------------------------------------------------------------------


@lru_cache(maxsize=8)
def _font(size: int):
    for path in WATERMARK_FONTS:
        if Path(path).exists():
            return ImageFont.truetype(path, size)
    return ImageFont.load_default(size)


def watermarked(image: bytes, *, text: str) -> bytes:
    """``image`` with ``text`` stamped faintly across it and in its lower corner."""
    with Image.open(io.BytesIO(image)) as opened:
        base = opened.convert("RGB")
        width, height = base.size
        size = max(10, width // 40)
        layer = Image.new("RGBA", base.size, (0, 0, 0, 0))
        draw = ImageDraw.Draw(layer)
        font = _font(size)
        for row in range(1, 4):
            draw.text(
                (width * 0.1, height * row / 4),
                text,
                font=font,
                fill=(120, 120, 120, 48),
            )
        draw.text((size, height - size * 2), text, font=font, fill=(90, 90, 90, 110))
        out = Image.alpha_composite(base.convert("RGBA"), layer).convert("RGB")
        buffer = io.BytesIO()
        out.save(buffer, format="WEBP", quality=80, method=2)
        return buffer.getvalue()


def reader_page_image(
    *, sha256: str, key: str, page: int, size: str, reader_id: int, reader_name: str
) -> bytes:
    """The page as served to one reader: watermarked with their name, cached per reader."""
    base = page_image(sha256=sha256, key=key, page=page, size=size)
    if size == "thumb" or not getattr(settings, "COUNCIL_WATERMARK", True):
        return base
    width, height = SIZES[size]
    reader_key = hashlib.sha256(f"{sha256}:{reader_id}:{reader_name}".encode()).hexdigest()
    return cached_page(
        reader_key, page, (width, height), lambda: watermarked(base, text=reader_name)
    )
