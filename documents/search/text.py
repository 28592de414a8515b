"""Text side of the search index: normalisation, bigram tokens, chunks and snippets.

Pure functions, no database. Index and query go through the same ``normalize`` so that a
search result is exactly "the normalised query is a substring of the normalised text".
"""

from __future__ import annotations

import functools
import re
import sys
import unicodedata
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# Queries are bounded: the chunk overlap below must be at least MAX_QUERY_CHARS - 1 so that any
# occurrence of a query lies wholly inside one chunk.
MIN_QUERY_CHARS = 2
MAX_QUERY_CHARS = 100
# Long texts are indexed as overlapping chunks: PostgreSQL refuses a tsvector over 1 MB, and a
# recheck or snippet then only ever reads one chunk, never a whole 500-page extraction.
CHUNK_CHARS = 4000
CHUNK_OVERLAP = MAX_QUERY_CHARS - 1
# What is indexed of one text; anything beyond is not searchable (documented in docs/search.md).
MAX_TEXT_CHARS = 2_000_000

_SPACES = re.compile(r"\s+")
# Marks that NFKC composes with the character before them (ｶﾞ → ガ); they must stay in the
# same group as that character when a text is normalised piecewise for snippets.
_JOINERS = frozenset("\u3099\u309a\uff9e\uff9f")


@functools.cache
def _invisible() -> dict[int, None]:
    """Control and format characters (NUL, soft hyphen, BOM, zero-width space) to drop.

    Text extracted from PDFs is full of them and they would break a substring match that a
    reader sees as unbroken; PostgreSQL also refuses NUL in text.
    """
    return {
        cp: None
        for cp in range(sys.maxunicode + 1)
        if unicodedata.category(chr(cp)) in {"Cc", "Cf"} and not chr(cp).isspace()
    }


def normalize(text: str) -> str:
    """NFKC + case folding, invisible characters dropped, whitespace runs made one space.

    ＡＢＣ and abc, ｶﾀｶﾅ and カタカナ, "Budget" and "budget" all become the same string.
    """
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    return _SPACES.sub(" ", folded.translate(_invisible()))


def normalize_query(q: str) -> str:
    """The normalised query, without leading and trailing spaces (nobody searches for them)."""
    return normalize(q).strip()


def _token(pair: str) -> str:
    # Code points in hex joined by "g": the token is plain ASCII alphanumerics, which both FTS5's
    # tokenizer and a tsvector literal keep whole, unfolded and unsplit (a raw bigram like
    # "算、" or "Ab" would be split at the punctuation or case-folded again).
    return f"{ord(pair[0]):x}g{ord(pair[1]):x}"


def tokens(norm: str) -> list[str]:
    """The distinct overlapping character bigrams of a normalised text, as index tokens."""
    return sorted({_token(norm[i : i + 2]) for i in range(len(norm) - 1)})


def query_tokens(norm_q: str) -> list[str]:
    """Tokens every entry containing ``norm_q`` must have: an index lookup that is a superset."""
    return tokens(norm_q)


@dataclass(frozen=True)
class Chunk:
    """One indexed piece of a text: its normalised form and the original text it came from."""

    seq: int
    norm: str
    orig: str


def _norm_map(text: str) -> tuple[str, list[int]] | None:
    """Normalise piecewise, returning the text and, per normalised char, its original offset.

    Returns None when the piecewise result differs from ``normalize(text)`` (scripts whose
    composition crosses our groups); callers then fall back to the normalised text.
    """
    out: list[str] = []
    starts: list[int] = []
    i, n = 0, len(text)
    last_space = False
    while i < n:
        j = i + 1
        while j < n and (unicodedata.combining(text[j]) or text[j] in _JOINERS):
            j += 1
        piece = unicodedata.normalize(
            "NFKC", unicodedata.normalize("NFKC", text[i:j]).casefold()
        ).translate(_invisible())
        if piece and piece.isspace():
            piece = "" if last_space else " "
        if piece:
            last_space = piece[-1] == " "
            out.append(piece)
            starts.extend([i] * len(piece))
        i = j
    norm = "".join(out)
    return (norm, [*starts, n]) if norm == normalize(text) else None


def chunks(title: str, text: str) -> list[Chunk]:
    """Chunk 0 is the title; chunks 1.. cover the text, overlapping by CHUNK_OVERLAP chars."""
    text = text[:MAX_TEXT_CHARS]
    result = [Chunk(0, normalize(title), title)]
    norm = normalize(text)
    if len(norm) <= CHUNK_CHARS:
        if norm:
            result.append(Chunk(1, norm, text))
        return result
    mapped = _norm_map(text)
    step = CHUNK_CHARS - CHUNK_OVERLAP
    for seq, start in enumerate(range(0, len(norm) - CHUNK_OVERLAP, step), start=1):
        end = min(start + CHUNK_CHARS, len(norm))
        orig = text[mapped[1][start] : mapped[1][end]] if mapped else norm[start:end]
        result.append(Chunk(seq, norm[start:end], orig))
    return result


SNIPPET_BEFORE = 40
SNIPPET_AFTER = 80


def snippet(orig: str, norm_q: str) -> SafeString:
    """HTML: the original text around the first hit of ``norm_q``, the hit in <mark>.

    Escaped here, so the result is safe to render. Without a hit (only the title matched), the
    beginning of the text.
    """
    hit = _find(orig, norm_q)
    if hit is None:
        head = orig[: SNIPPET_BEFORE + SNIPPET_AFTER]
        return mark_safe(escape(head) + ("…" if len(orig) > len(head) else ""))  # noqa: S308
    start, end = hit
    left = max(0, start - SNIPPET_BEFORE)
    right = min(len(orig), end + SNIPPET_AFTER)
    html = "".join(
        [
            "…" if left > 0 else "",
            escape(orig[left:start]),
            "<mark>",
            escape(orig[start:end]),
            "</mark>",
            escape(orig[end:right]),
            "…" if right < len(orig) else "",
        ]
    )
    return mark_safe(html)  # noqa: S308 — every piece of text above is escaped


def _find(orig: str, norm_q: str) -> tuple[int, int] | None:
    """Original offsets [start, end) of the first hit of ``norm_q`` in ``orig``, or None."""
    at = normalize(orig).find(norm_q)
    if at < 0:
        return None
    # Map offsets only in a window around the hit: piecewise normalisation is a Python loop per
    # character, and normalisation rarely changes the length of Japanese text by much.
    for left in (max(0, at - 2 * MAX_QUERY_CHARS), 0):
        window = orig[left : at + 3 * MAX_QUERY_CHARS] if left else orig
        mapped = _norm_map(window)
        if mapped is None:
            return None  # rare scripts: the snippet then shows the text without a highlight
        norm, starts = mapped
        found = norm.find(norm_q)
        if found >= 0:
            end = found + len(norm_q)
            # The hit ends where the group of its last character ends.
            tail = next((s for s in starts[end:] if s > starts[end - 1]), len(window))
            return left + starts[found], left + tail
    return None
