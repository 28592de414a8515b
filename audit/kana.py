"""Kana to the romaji of usernames, so an auditor can find 「むらかみ」 as ``murakami.*``.

Hepburn as city usernames spell it (しんいち → shinichi, じゅん → jun); long vowels are also
tried shortened (さとう → satou and sato, ゆうこ → yuuko and yuko). Katakana are read as
hiragana; anything that is not kana is kept as it is.
"""

from __future__ import annotations

# fmt: off
_BASE = {
    "あ": "a", "い": "i", "う": "u", "え": "e", "お": "o",
    "か": "ka", "き": "ki", "く": "ku", "け": "ke", "こ": "ko",
    "さ": "sa", "し": "shi", "す": "su", "せ": "se", "そ": "so",
    "た": "ta", "ち": "chi", "つ": "tsu", "て": "te", "と": "to",
    "な": "na", "に": "ni", "ぬ": "nu", "ね": "ne", "の": "no",
    "は": "ha", "ひ": "hi", "ふ": "fu", "へ": "he", "ほ": "ho",
    "ま": "ma", "み": "mi", "む": "mu", "め": "me", "も": "mo",
    "や": "ya", "ゆ": "yu", "よ": "yo",
    "ら": "ra", "り": "ri", "る": "ru", "れ": "re", "ろ": "ro",
    "わ": "wa", "を": "o", "ん": "n",
    "が": "ga", "ぎ": "gi", "ぐ": "gu", "げ": "ge", "ご": "go",
    "ざ": "za", "じ": "ji", "ず": "zu", "ぜ": "ze", "ぞ": "zo",
    "だ": "da", "ぢ": "ji", "づ": "zu", "で": "de", "ど": "do",
    "ば": "ba", "び": "bi", "ぶ": "bu", "べ": "be", "ぼ": "bo",
    "ぱ": "pa", "ぴ": "pi", "ぷ": "pu", "ぺ": "pe", "ぽ": "po",
    "ぁ": "a", "ぃ": "i", "ぅ": "u", "ぇ": "e", "ぉ": "o",
}
# fmt: on
_SMALL_Y = {"ゃ": "a", "ゅ": "u", "ょ": "o"}
_KATAKANA_OFFSET = ord("ァ") - ord("ぁ")


def _hiragana(text: str) -> str:
    return "".join(
        chr(ord(c) - _KATAKANA_OFFSET) if "ァ" <= c <= "ヶ" else c for c in text
    ).replace("ー", "")


def is_kana(text: str) -> bool:
    return any("ぁ" <= c <= "ゖ" or "ァ" <= c <= "ヺ" for c in text)


def romaji(text: str) -> str:
    """``text``'s kana in romaji (non-kana kept)."""
    chars = _hiragana(text)
    out: list[str] = []
    double_next = False
    for i, c in enumerate(chars):
        if c == "っ":
            double_next = True
            continue
        nxt = chars[i + 1] if i + 1 < len(chars) else ""
        if c in _SMALL_Y:
            continue  # consumed with the syllable before it
        syllable = _BASE.get(c, c)
        if nxt in _SMALL_Y and syllable.endswith("i") and len(syllable) > 1:
            stem = syllable[:-1]
            stem = stem if stem in ("sh", "ch", "j") else stem + "y"
            syllable = stem + _SMALL_Y[nxt]
        if double_next:
            syllable = ("t" if syllable.startswith("ch") else syllable[0]) + syllable
            double_next = False
        out.append(syllable)
    return "".join(out)


def romaji_spellings(text: str) -> set[str]:
    """The spellings a username may use for ``text``: as read, and with long vowels shortened."""
    full = romaji(text)
    short = full.replace("ou", "o").replace("uu", "u").replace("oo", "o")
    return {full, short}
