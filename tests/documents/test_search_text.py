"""Offsets between original and normalised text (snippets, chunk boundaries): the run-based
``_norm_map`` gives exactly what normalising group by group gives, on texts full of the
characters that do not map one for one. Pure functions, no database."""

from __future__ import annotations

import random
import unicodedata

from documents.search import text as T

# Characters that shrink, grow, vanish, compose or collapse under normalisation, among plain
# Japanese and ASCII ones.
ODD = [
    "ｶﾞ",
    "ﾊﾟ",
    "ﾞ",
    "か\u3099",
    "e\u0301",
    "㍻",
    "㈱",
    "ﬁ",
    "ß",
    "\u200b",
    "\u00ad",
    "\ufeff",
    "\u1100\u1161",  # Hangul jamo: compose without being combining marks
]
SPACES = [" ", "  ", "\u3000", "\t", "\n", " \n ", "\u00a0"]
PLAIN = list("予算の補正について市民ＡＢＣabcDEF１２３（）、。カタカナｱｲｳ")


def _reference(text: str) -> tuple[str, list[int]] | None:
    """Group by group: a character with the marks that compose with it, normalised alone."""
    out: list[str] = []
    starts: list[int] = []
    i, n, last_space = 0, len(text), False
    while i < n:
        j = i + 1
        while j < n and (unicodedata.combining(text[j]) or text[j] in T._JOINERS):
            j += 1
        piece = T._piece(text[i:j])
        if piece and piece.isspace():
            piece = "" if last_space else " "
        if piece:
            last_space = piece[-1] == " "
            out.append(piece)
            starts.extend([i] * len(piece))
        i = j
    norm = "".join(out)
    return (norm, [*starts, n]) if norm == T.normalize(text) else None


def _texts(count: int, seed: int = 3) -> list[str]:
    rng = random.Random(seed)
    pools = [PLAIN] * 6 + [ODD, SPACES]
    return [
        "".join(rng.choice(rng.choice(pools)) for _ in range(rng.randint(0, 80)))
        for _ in range(count)
    ]


def test_norm_map_equals_the_group_by_group_mapping():
    texts = _texts(2000)
    assert sum(T._norm_map(t) is not None for t in texts) > 1000  # most are mappable
    for text in texts:
        assert T._norm_map(text) == _reference(text), repr(text)


def test_norm_map_of_plain_text_is_the_identity_of_offsets():
    text = "令和８年度予算（案）について、ＩＣＴ推進課が説明した。"
    norm, starts = T._norm_map(text)
    assert norm == T.normalize(text)
    assert starts == list(range(len(text) + 1))


def test_snippet_marks_the_original_characters_after_reshaping_ones():
    orig = "㈱ｶﾞｲﾄﾞ社の  ﾊﾟﾝﾌ\u200bﾚｯﾄ改訂<案>"
    html = T.snippet(orig, T.normalize_query("パンフレット"))
    assert "<mark>ﾊﾟﾝﾌ\u200bﾚｯﾄ</mark>改訂&lt;案&gt;" in html


def test_the_fast_offset_test_agrees_with_the_reshaping_characters():
    """``_find`` takes offsets as they are when ``_reshaping_pattern`` finds nothing: it must
    find every reshaping character and whitespace run that the character set does."""
    pattern = T._reshaping_pattern()
    for text in _texts(2000):
        jamo = any("\u1100" <= c <= "\u11ff" for c in text)
        expected = not T._reshaping().isdisjoint(text) or bool(T._SPACE_RUN.search(text)) or jamo
        assert bool(pattern.search(text)) == expected, repr(text)
    for char in sorted(T._reshaping()):
        assert pattern.search(f"予算{char}"), repr(char)
    assert pattern.search("𠮷野家")  # beyond the BMP: always mapped (exactly) by the slow path
    assert not pattern.search("令和８年度予算（案）について、ＩＣＴ推進課が説明した。\n改行")


def test_snippet_after_conjoining_jamo_never_marks_the_wrong_characters():
    orig = "\u1100\u1161予算です"  # ᄀ + ᅡ normalise to one character, 가
    assert T._find(orig, "予算", T.normalize(orig)) in {None, (2, 4)}
    assert "<mark>ᅡ予</mark>" not in T.snippet(orig, "予算")


def test_snippet_after_a_character_beyond_the_bmp():
    orig = "𠮷野家と㈱ｶﾞｲﾄﾞの予算"
    assert "<mark>予算</mark>" in T.snippet(orig, "予算")
    assert "<mark>𠮷野家</mark>" in T.snippet("𠮷野家の予算", "𠮷野家")


def _reference_find(text: str, norm_q: str) -> tuple[int, int] | None:
    mapped = _reference(text)
    if mapped is None:
        return None
    norm, starts = mapped
    found = norm.find(norm_q)
    if found < 0:
        return None
    stop = found + len(norm_q)
    tail = next((s for s in starts[stop:] if s > starts[stop - 1]), len(text))
    return starts[found], tail


def test_find_gives_the_original_offsets_of_the_first_hit():
    """Every way ``_find`` takes (offsets as they are, a short stretch from the last offset
    known to be equal, a window, the whole text) gives what mapping group by group gives."""
    rng = random.Random(5)
    checked = 0
    for text in _texts(3000, seed=11):
        norm = T.normalize(text)
        if len(norm) < 2 or _reference(text) is None:
            continue
        for _ in range(3):
            start = rng.randrange(len(norm) - 1)
            norm_q = norm[start : start + rng.randint(2, 6)].strip()
            if len(norm_q) < 2:
                continue
            assert T._find(text, norm_q, norm) == _reference_find(text, norm_q), (text, norm_q)
            checked += 1
    assert checked > 3000
    # Long texts: the hit far from the start, reshaping characters before it or not.
    for prefix in ["予算" * 300, "ｶﾞ" * 300, "㍻" * 300, "  " * 300, "ｶﾞ" + "予算" * 300]:
        text = prefix + "市民の声ﾊﾟﾝﾌ"
        assert T._find(text, "市民の声", T.normalize(text)) == _reference_find(text, "市民の声")
        assert T._find(text, "の声パ", T.normalize(text)) == _reference_find(text, "の声パ")
