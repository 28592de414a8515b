"""Japanese fonts for reportlab: IPAex TrueType (embedded as subsets) or the CID fallback.

An embedded font makes the PDF look the same on every viewer and decades later, which a
record needs; the CID fonts (HeiseiMin-W3 / HeiseiKakuGo-W5) are only named in the PDF and
drawn with whatever Japanese font the viewer has, so they are the fallback for machines
without ``fonts-ipaexfont`` (e.g. a laptop), not the production path.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont

# (mincho, gothic) pairs, first found wins: Debian/Ubuntu fonts-ipaexfont (current and older
# layouts), then a manual install under /usr/local or the user's font directory.
FONT_SEARCH_PATHS: tuple[tuple[str, str], ...] = (
    (
        "/usr/share/fonts/opentype/ipaexfont-mincho/ipaexm.ttf",
        "/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf",
    ),
    (
        "/usr/share/fonts/truetype/ipaexfont-mincho/ipaexm.ttf",
        "/usr/share/fonts/truetype/ipaexfont-gothic/ipaexg.ttf",
    ),
    ("/usr/local/share/fonts/ipaexm.ttf", "/usr/local/share/fonts/ipaexg.ttf"),
    ("~/.local/share/fonts/ipaexm.ttf", "~/.local/share/fonts/ipaexg.ttf"),
)

IPAEX_MINCHO = "IPAexMincho"
IPAEX_GOTHIC = "IPAexGothic"
CID_MINCHO = "HeiseiMin-W3"
CID_GOTHIC = "HeiseiKakuGo-W5"


@dataclass(frozen=True, slots=True)
class JapaneseFonts:
    """The reportlab font names to use and how they got there."""

    mincho: str  # body text, as on printed official documents
    gothic: str  # headings and labels
    is_embedded: bool
    source: str  # the TrueType file, or "cid" for the fallback


def find_ipaex() -> tuple[Path, Path] | None:
    """The first (mincho, gothic) pair of IPAex files that both exist, if any."""
    for mincho, gothic in FONT_SEARCH_PATHS:
        pair = (Path(mincho).expanduser(), Path(gothic).expanduser())
        if pair[0].is_file() and pair[1].is_file():
            return pair
    return None


@functools.cache
def japanese_fonts() -> JapaneseFonts:
    """Register the fonts once per process (reportlab's registry is global) and say which."""
    found = find_ipaex()
    if found is not None:
        mincho_path, gothic_path = found
        # Parsing a 4-8 MB TTF costs ~100 ms, hence the cache; subsets are embedded per PDF.
        pdfmetrics.registerFont(TTFont(IPAEX_MINCHO, str(mincho_path)))
        pdfmetrics.registerFont(TTFont(IPAEX_GOTHIC, str(gothic_path)))
        return JapaneseFonts(IPAEX_MINCHO, IPAEX_GOTHIC, True, str(mincho_path))
    pdfmetrics.registerFont(UnicodeCIDFont(CID_MINCHO))
    pdfmetrics.registerFont(UnicodeCIDFont(CID_GOTHIC))
    return JapaneseFonts(CID_MINCHO, CID_GOTHIC, False, "cid")


def reset_font_cache() -> None:
    """Forget the choice so the next call searches again (tests, or after installing fonts)."""
    japanese_fonts.cache_clear()
