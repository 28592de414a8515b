"""The Japanese catalog is complete; the English one exists. Japanese is the default language.

After adding user-facing text anywhere, regenerate and fill the catalogs:
``python manage.py makemessages -l ja -l en --ignore=.venv --ignore=tests --ignore=bench``, give
every entry of locale/ja a msgstr, then ``make messages`` (compilemessages; .mo files are build
output and not committed).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

LOCALE = Path(settings.BASE_DIR) / "locale"


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str = ""
    msgstrs: list[str] = field(default_factory=list)
    flags: set[str] = field(default_factory=set)
    line: int = 0


def parse_po(path: Path) -> list[Entry]:
    """A tiny .po reader: enough for msgid/msgid_plural/msgstr[n], flags and continuations."""
    entries: list[Entry] = []
    entry, target, in_strs = Entry(), None, False

    def finish():
        if target is not None:
            entries.append(entry)

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if line.startswith("#~"):  # obsolete entries do not count
            continue
        starts_entry = line.startswith(("#", "msgctxt", "msgid ")) or not line
        if starts_entry and in_strs:
            finish()
            entry, target, in_strs = Entry(), None, False
        if line.startswith("#,"):
            entry.flags |= {flag.strip() for flag in line[2:].split(",")}
        elif line.startswith("msgid_plural "):
            entry.msgid_plural, target = ast.literal_eval(line[13:]), "msgid_plural"
        elif line.startswith("msgid "):
            entry.msgid, entry.line, target = ast.literal_eval(line[6:]), number, "msgid"
        elif line.startswith("msgstr"):
            entry.msgstrs.append(ast.literal_eval(line.split(" ", 1)[1]))
            target, in_strs = "msgstr", True
        elif line.startswith('"') and target == "msgstr":
            entry.msgstrs[-1] += ast.literal_eval(line)
        elif line.startswith('"') and target in {"msgid", "msgid_plural"}:
            setattr(entry, target, getattr(entry, target) + ast.literal_eval(line))
    if in_strs:
        finish()
    return entries


def test_parser_reads_plurals_flags_and_continuations(tmp_path):
    po = tmp_path / "x.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Language: ja\\n"\n#: a.py:1\nmsgid "one"\nmsgstr "一"\n\n'
        '#, fuzzy, python-format\nmsgid ""\n"long "\n"text"\nmsgstr ""\n\n'
        'msgid "%(n)s day"\nmsgid_plural "%(n)s days"\nmsgstr[0] ""\n',
        encoding="utf-8",
    )

    header, one, long, plural = parse_po(po)

    assert header.msgstrs == ["Language: ja\n"]
    assert (one.msgid, one.msgstrs) == ("one", ["一"])
    assert (long.msgid, long.flags) == ("long text", {"fuzzy", "python-format"})
    assert (plural.msgid_plural, plural.msgstrs) == ("%(n)s days", [""])


def test_japanese_catalog_is_complete():
    entries = parse_po(LOCALE / "ja" / "LC_MESSAGES" / "django.po")
    messages = [e for e in entries if e.msgid]

    assert len(messages) > 50
    untranslated = [f"line {e.line}: {e.msgid!r}" for e in messages if not all(e.msgstrs)]
    fuzzy = [f"line {e.line}: {e.msgid!r}" for e in entries if "fuzzy" in e.flags]
    assert not untranslated, "untranslated in locale/ja:\n" + "\n".join(untranslated)
    assert not fuzzy, "fuzzy in locale/ja:\n" + "\n".join(fuzzy)


def test_english_catalog_exists_with_the_same_messages():
    english = parse_po(LOCALE / "en" / "LC_MESSAGES" / "django.po")
    japanese = parse_po(LOCALE / "ja" / "LC_MESSAGES" / "django.po")

    assert {e.msgid for e in english} == {e.msgid for e in japanese}


def test_japanese_is_the_default_and_compiled():
    assert settings.LANGUAGE_CODE == "ja"
    if not (LOCALE / "ja" / "LC_MESSAGES" / "django.mo").exists():
        pytest.fail("locale/ja has no django.mo: run `make messages` (compilemessages)")
    with translation.override("ja"):
        assert translation.gettext("Sign in") == "ログイン"
        assert translation.gettext("In preparation") == "準備中"
