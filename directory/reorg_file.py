"""Reading a reorganisation file (CSV, UTF-8 with or without BOM, or Shift_JIS as Excel saves it).

One row per change; the header names the columns in English or Japanese:

| kind (種別) | target (対象) | unit (組織) | title (職名) | name (名称) | prefix (文書記号) |
|---|---|---|---|---|---|
| unit_create / 新設 | parent unit (empty for a 部) | | | new unit's name | its prefix, optional |
| unit_rename / 名称変更 | the unit | | | its new name | a new prefix, optional |
| unit_merge / 統合 | the unit merged away | the successor | | | |
| unit_close / 廃止 | the unit (its work goes to its parent) | | | | |
| post / 異動 | username | new unit | new title | | |
| concurrent / 兼務 | username | unit | title | | |
| leave / 退職 | username | | | | |

Units are written as in the org chart: a name, or a path together or with separators
(``directory/unitmatch.py``). A person with a 異動 line gets exactly the posts of their lines.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from django.utils.translation import gettext as _

from directory.reorg_models import ReorgLine

Kind = ReorgLine.Kind

KINDS = {
    "unit_create": Kind.UNIT_CREATE,
    "新設": Kind.UNIT_CREATE,
    "unit_rename": Kind.UNIT_RENAME,
    "名称変更": Kind.UNIT_RENAME,
    "unit_merge": Kind.UNIT_MERGE,
    "統合": Kind.UNIT_MERGE,
    "unit_close": Kind.UNIT_CLOSE,
    "廃止": Kind.UNIT_CLOSE,
    "post": Kind.POST,
    "異動": Kind.POST,
    "concurrent": Kind.CONCURRENT,
    "兼務": Kind.CONCURRENT,
    "leave": Kind.LEAVE,
    "退職": Kind.LEAVE,
}
COLUMNS = {
    "kind": "kind",
    "種別": "kind",
    "target": "target",
    "対象": "target",
    "unit": "unit",
    "組織": "unit",
    "所属": "unit",
    "title": "title",
    "職名": "title",
    "name": "name",
    "名称": "name",
    "prefix": "prefix",
    "文書記号": "prefix",
}
# What each kind needs besides its target (a unit_create's target may be empty: a new 部).
REQUIRED = {
    Kind.UNIT_CREATE: ("name",),
    Kind.UNIT_RENAME: ("name",),
    Kind.UNIT_MERGE: ("unit",),
    Kind.POST: ("unit",),
    Kind.CONCURRENT: ("unit",),
}
MAX_LINES = 50_000
MAX_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class ParsedLine:
    line_no: int
    kind: str
    target: str = ""
    unit: str = ""
    title: str = ""
    name: str = ""
    prefix: str = ""


class ReorgFileError(ValueError):
    """The file cannot be read; ``problems`` lists (line, message) for every bad row."""

    def __init__(self, problems: list[tuple[int, str]]) -> None:
        super().__init__("; ".join(f"{line}: {message}" for line, message in problems))
        self.problems = problems


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp932"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ReorgFileError([(0, _("The file is neither UTF-8 nor Shift_JIS text."))])


def parse_reorg_file(data: bytes) -> list[ParsedLine]:
    """The file's rows as ``ParsedLine`` values; ReorgFileError naming every bad row."""
    if len(data) > MAX_BYTES:
        raise ReorgFileError([(0, _("The file is larger than 10 MB."))])
    reader = csv.reader(io.StringIO(_decode(data)))
    header = next(reader, None)
    if not header:
        raise ReorgFileError([(1, _("The file is empty."))])
    columns = [COLUMNS.get(name.strip().lower(), COLUMNS.get(name.strip(), "")) for name in header]
    if "kind" not in columns or "target" not in columns:
        raise ReorgFileError(
            [(1, _("The header must name at least the columns kind (種別) and target (対象)."))]
        )
    lines: list[ParsedLine] = []
    problems: list[tuple[int, str]] = []
    for number, row in enumerate(reader, start=2):
        if number > MAX_LINES:
            problems.append((number, _("Too many lines.")))
            break
        values = {col: (row[i].strip() if i < len(row) else "") for i, col in enumerate(columns)}
        values.pop("", None)
        kind_text = values.pop("kind", "")
        if (not kind_text and not any(values.values())) or kind_text.startswith("#"):
            continue  # blank rows and comments
        kind = KINDS.get(kind_text.lower())
        if kind is None:
            problems.append((number, _("Unknown kind %(kind)s.") % {"kind": kind_text}))
            continue
        if not values.get("target") and kind != Kind.UNIT_CREATE:
            problems.append((number, _("The target is missing.")))
            continue
        missing = [name for name in REQUIRED.get(kind, ()) if not values.get(name)]
        if missing:
            problems.append((number, _("Missing: %(columns)s.") % {"columns": ", ".join(missing)}))
            continue
        lines.append(ParsedLine(line_no=number, kind=kind, **values))
    if problems:
        raise ReorgFileError(problems)
    if not lines:
        raise ReorgFileError([(2, _("The file has no changes."))])
    return lines
