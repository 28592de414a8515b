"""Text side of the search index: normalisation, bigram tokens, chunks and snippets.

Pure functions, no database. Index and query go through the same ``normalize`` so that a
search result is exactly "the normalised query is a substring of the normalised text".
"""

from __future__ import annotations

import bisect
import functools
import re
import sys
import unicodedata
from dataclasses import dataclass
from html import escape  # what django.utils.html.escape calls, without its lazy-text wrapper

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


@functools.cache
def _reshaping() -> frozenset[str]:
    """Characters after which normalised and original offsets stop being equal.

    Those whose normalised form is not one character (㍻, ﬁ, ß, invisible ones) and combining
    marks; runs of whitespace (collapsed) are checked apart. Text without them maps offset for
    offset, which is what nearly all Japanese text does (full-width → half-width is one for one).
    """
    odd = {
        chr(cp)
        for cp in range(sys.maxunicode + 1)
        if unicodedata.category(chr(cp)) not in {"Cn", "Cs", "Co"}
        and (unicodedata.combining(chr(cp)) or len(_piece(chr(cp))) != 1)
    }
    return frozenset(odd | _JOINERS)


@functools.cache
def _odd_or_space() -> frozenset[str]:
    """Where ``_norm_map`` goes group by group: the reshaping characters and whitespace (runs
    of it collapse)."""
    spaces = {chr(cp) for cp in range(sys.maxunicode + 1) if chr(cp).isspace()}
    return _reshaping() | spaces


_SPACE_RUN = re.compile(r"\s\s")


@functools.cache
def _reshaping_pattern() -> re.Pattern[str]:
    """Matches where normalised and original offsets may stop being equal: a reshaping
    character of the Basic Multilingual Plane, conjoining Hangul jamo, any character beyond the
    BMP, or a whitespace run.

    The same test as ``_reshaping().isdisjoint(text)`` plus ``_SPACE_RUN``, with two more:
    conjoining jamo compose with each other without being marks (before, a hit after them was
    highlighted off by their number; now such a snippet has no highlight), and every astral
    character counts (a few are reshaping; taking them all keeps the class to BMP ranges, which
    ``re`` tests with a bitmap). ~2.5 µs for 150 characters instead of ~6: a frozenset lookup
    makes a string object per CJK character.
    """
    points = sorted(ord(c) for c in _reshaping() if ord(c) < 0x10000)
    ranges: list[tuple[int, int]] = []
    for cp in points:
        if ranges and cp == ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], cp)
        else:
            ranges.append((cp, cp))
    members = "".join(
        re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}"
        for a, b in ranges
    )
    # Conjoining Hangul jamo compose with each other without being marks (ᄀ + ᅡ = 가).
    jamo = "\u1100-\u11ff\ua960-\ua97f\ud7b0-\ud7ff"
    return re.compile(f"[{members}{jamo}\U00010000-\U0010ffff]" + r"|\s\s")


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


def trigram_tokens(norm: str) -> list[str]:
    """The distinct overlapping character trigrams (PostgreSQL only): a 3-character query is one
    of them, so the index answers it exactly; longer queries AND them (fewer, rarer lists)."""
    return sorted(
        {_token(norm[i : i + 2]) + f"g{ord(norm[i + 2]):x}" for i in range(len(norm) - 2)}
    )


def positional_tokens(norm: str) -> list[str]:
    """Every bigram in order, repeats included: token i is the bigram at character i."""
    return [_token(norm[i : i + 2]) for i in range(len(norm) - 1)]


@dataclass(frozen=True)
class Chunk:
    """One indexed piece of a text: its normalised form and the original text it came from."""

    seq: int
    norm: str
    orig: str


@functools.lru_cache(maxsize=65536)
def _piece(piece: str) -> str:
    # Pieces are mostly single characters of a small alphabet: the cache makes mapping a text
    # for a snippet cost a dictionary lookup per character instead of two normalisations.
    return _piece_run(piece)


def _norm_map(text: str) -> tuple[str, list[int]] | None:
    """Normalise piecewise, returning the text and, per normalised char, its original offset.

    Runs without reshaping characters or whitespace map one for one and are normalised in one
    call; only the characters around them go group by group (a Python loop per character made
    a snippet of half-width kana cost ~0.4 ms). Returns None when the result differs from
    ``normalize(text)`` (scripts whose composition crosses our groups); callers then fall back
    to the normalised text.
    """
    out: list[str] = []
    starts: list[int] = []
    i, n = 0, len(text)
    last_space = False
    odd = _odd_or_space()
    breaks = [k for k, char in enumerate(text) if char in odd]
    breaks.append(n)
    grouped_until = 0  # a run that did not map one for one (Hangul jamo) goes group by group
    while i < n:
        stop = breaks[bisect.bisect_left(breaks, i)]
        if stop < n and _composes_with_previous(text[stop]):
            stop -= 1  # that character is the head of the mark's group
        if stop > i and i >= grouped_until:
            run = _piece_run(text[i:stop])
            if len(run) == stop - i:
                out.append(run)
                starts.extend(range(i, stop))
                last_space = False
                i = stop
                continue
            grouped_until = stop
        j = i + 1
        while j < n and _composes_with_previous(text[j]):
            j += 1
        piece = _piece(text[i:j])
        if piece and piece.isspace():
            piece = "" if last_space else " "
        if piece:
            last_space = piece[-1] == " "
            out.append(piece)
            starts.extend([i] * len(piece))
        i = j
    norm = "".join(out)
    return (norm, [*starts, n]) if norm == normalize(text) else None


def _composes_with_previous(char: str) -> bool:
    return bool(unicodedata.combining(char)) or char in _JOINERS


def _piece_run(run: str) -> str:
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", run).casefold()).translate(
        _invisible()
    )


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


def snippet(orig: str, norm_q: str, norm: str | None = None) -> SafeString:
    """HTML: the original text around the first hit of ``norm_q``, the hit in <mark>.

    ``norm`` is ``orig`` normalised, when the caller has it (the index stores it). Escaped here,
    so the result is safe to render. Without a hit (only the title matched), the beginning of
    the text.
    """
    hit = _find(orig, norm_q, normalize(orig) if norm is None else norm)
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


def _find(orig: str, norm_q: str, norm: str) -> tuple[int, int] | None:
    """Original offsets [start, end) of the first hit of ``norm_q`` in ``orig``, or None."""
    at = norm.find(norm_q)
    if at < 0:
        return None
    end = at + len(norm_q)
    first = _reshaping_pattern().search(orig, 0, end + 1)
    if first is None:
        return at, end  # offsets coincide up to the end of the hit
    # Offsets still coincide before the first character that may reshape, and at the head of
    # its group (one earlier: it may compose with the character before it).
    known = min(at, max(0, first.start() - 1))
    if end - known <= NEAR_HIT:
        hit = _find_from(orig, norm, known, at, end)
        if hit is not None:
            return hit
    # Map offsets only in a window around the hit: piecewise normalisation is a Python loop per
    # character. If the text shrank a lot before the hit (collapsed spaces), the window misses:
    # map it all then.
    for left in (max(0, at - SNIPPET_BEFORE - 60), 0):
        window = orig[left : end + SNIPPET_AFTER + 60] if left else orig
        mapped = _norm_map(window)
        if mapped is None:
            return None  # rare scripts: the snippet then shows the text without a highlight
        norm, starts = mapped
        found = norm.find(norm_q)
        if found >= 0:
            stop = found + len(norm_q)
            # The hit ends where the group of its last character ends.
            tail = next((s for s in starts[stop:] if s > starts[stop - 1]), len(window))
            return left + starts[found], left + tail
    return None


NEAR_HIT = 200  # up to this many characters from the last known offset to the hit's end


def _find_from(orig: str, norm: str, known: int, at: int, end: int) -> tuple[int, int] | None:
    """The hit [at, end) of ``norm`` in original offsets, mapping ``orig`` from ``known``, an
    offset equal in both, over a short stretch: no search, the position is known. None when the
    stretch does not reproduce ``norm`` through one character past the hit (the original text
    grew more than the stretch allows, or the cut split a group): the caller maps more then."""
    # The original grows against the normalised text only at reshaping characters and runs of
    # whitespace (a half-width voicing mark, an invisible character, a collapsed space): allow
    # two characters for each one before the hit, and a margin. The check below decides.
    grown = len(_reshaping_pattern().findall(orig, known, end + 16))
    right = end + 16 + 2 * grown
    mapped = _norm_map(orig[known:right])
    if mapped is None:
        return None
    piece, starts = mapped
    stop = end - known
    whole = right >= len(orig)  # nothing cut off at the right
    if piece[: stop + 1] != norm[known : end + 1] or (len(piece) <= stop and not whole):
        return None
    tail = next((s for s in starts[stop:] if s > starts[stop - 1]), len(orig) - known)
    return known + starts[at - known], known + tail
