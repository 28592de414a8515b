"""A page-image cache on disk: one file per (content hash, page, size, format).

Keyed by the SHA-256 of the PDF, not by document id: versions are immutable and stored by
content, so an entry never goes stale and identical files share their images. Layout::

    <cache_dir>/v1/ab/abcdef…(64 hex)/p3-1600x2400.webp

The default directory is ``settings.DATA_DIR / "cache" / "pages"``, local to each server:
it is a cache, so a worker on another machine simply renders again. Writes are atomic
(temporary file in the same directory, fsync, rename), so a reader never sees half an image
and two workers rendering the same page at once both succeed (the last rename wins; the
bytes are the same).

Follow-ups: bound the total size (evict least recently used past a setting), and a per-key
lock so a burst of requests for one uncached page renders it once.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from django.conf import settings

# Bump when rendering changes its output for the same input (quality, WebP effort, bounds
# meaning), so old images are not served; old version directories can simply be deleted.
CACHE_VERSION = "v1"

_SHA256_HEX = re.compile(r"[0-9a-f]{64}")
_FORMATS = frozenset({"webp", "png"})


def default_cache_dir() -> Path:
    """``settings.DATA_DIR / "cache" / "pages"``."""
    return Path(settings.DATA_DIR) / "cache" / "pages"


def cache_path(
    key_hash: str, page: int, size: tuple[int, int], *, cache_dir: Path, fmt: str = "webp"
) -> Path:
    """Where the image of ``page`` at ``size`` (max width, max height) is kept.

    Raises ``ValueError`` for anything that is not a hex SHA-256, a page >= 1, a positive
    size or a known format: these become a file name, so nothing else may reach it.
    """
    if not isinstance(key_hash, str) or not _SHA256_HEX.fullmatch(key_hash):
        raise ValueError("key_hash must be a lowercase hex SHA-256")
    if not isinstance(page, int) or isinstance(page, bool) or page < 1:
        raise ValueError(f"page must be an int >= 1, not {page!r}")
    if len(size) != 2 or not all(
        isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in size
    ):
        raise ValueError(f"size must be two positive ints, not {size!r}")
    width, height = size
    if fmt not in _FORMATS:
        raise ValueError(f"fmt must be one of {sorted(_FORMATS)}, not {fmt!r}")
    return (
        Path(cache_dir)
        / CACHE_VERSION
        / key_hash[:2]
        / key_hash
        / f"p{page}-{width}x{height}.{fmt}"
    )


def cached_page(
    key_hash: str,
    page: int,
    size: tuple[int, int],
    render_fn: Callable[[], bytes],
    *,
    cache_dir: Path | None = None,
    fmt: str = "webp",
) -> bytes:
    """The cached image, or ``render_fn()`` stored atomically and returned.

    ``render_fn`` runs only on a miss, so it is where the caller reads the PDF, e.g.
    ``lambda: render_page(load_pdf(), page, max_width_px=w, max_height_px=h)``.
    """
    path = cache_path(key_hash, page, size, cache_dir=cache_dir or default_cache_dir(), fmt=fmt)
    with contextlib.suppress(FileNotFoundError):
        data = path.read_bytes()
        if data:  # an empty file is never written by us; treat it as a miss
            return data
    data = render_fn()
    if not isinstance(data, bytes) or not data:
        raise ValueError("render_fn must return non-empty bytes")
    _write_atomic(path, data)
    return data


def drop_cached_pages(key_hash: str, *, cache_dir: Path | None = None) -> int:
    """Delete every cached image of one PDF (all versions of the cache); how many files.

    Disposal (廃棄) of a record must destroy its page images too, not only the file.
    """
    if not isinstance(key_hash, str) or not _SHA256_HEX.fullmatch(key_hash):
        raise ValueError("key_hash must be a lowercase hex SHA-256")
    root = Path(cache_dir or default_cache_dir())
    removed = 0
    if not root.is_dir():
        return 0
    for version_dir in root.iterdir():
        target = version_dir / key_hash[:2] / key_hash
        if target.is_dir():
            removed += sum(1 for entry in target.iterdir() if entry.is_file())
            shutil.rmtree(target, ignore_errors=True)
    return removed


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # Same directory as the target, so the rename cannot cross file systems (and is atomic).
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        with os.fdopen(fd, "wb") as tmp:
            tmp.write(data)
            tmp.flush()
            # Without fsync a crash can leave the renamed file empty or short, and the cache
            # would then serve a broken image forever.
            os.fsync(tmp.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise
