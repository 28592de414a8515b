"""Page previews of records: pure functions from file bytes to page images, and their cache.

No database access here (STYLE.md). The documents services render the pages of a version
(``render_page`` / ``render_pages``), converting Word files first (``docx_to_pdf``), and keep
the images with ``cached_page``; the council tablet reader does the same for materials.
"""

from documents.rendering.cache import (
    CACHE_VERSION,
    cache_path,
    cached_page,
    default_cache_dir,
    drop_cached_pages,
)
from documents.rendering.convert import (
    ConversionFailed,
    ConversionUnavailable,
    conversion_available,
    docx_to_pdf,
)
from documents.rendering.pages import (
    DEFAULT_LIMITS,
    PREVIEW_WIDTHS_PX,
    EncryptedPdf,
    ImageFormat,
    InvalidPdf,
    PageOutOfRange,
    PdfTooLarge,
    PreviewError,
    RenderLimits,
    fit_scale,
    page_count,
    render_page,
    render_pages,
    snap_width,
)

__all__ = [
    "CACHE_VERSION",
    "DEFAULT_LIMITS",
    "PREVIEW_WIDTHS_PX",
    "ConversionFailed",
    "ConversionUnavailable",
    "EncryptedPdf",
    "ImageFormat",
    "InvalidPdf",
    "PageOutOfRange",
    "PdfTooLarge",
    "PreviewError",
    "RenderLimits",
    "cache_path",
    "cached_page",
    "conversion_available",
    "default_cache_dir",
    "docx_to_pdf",
    "drop_cached_pages",
    "fit_scale",
    "page_count",
    "render_page",
    "render_pages",
    "snap_width",
]
