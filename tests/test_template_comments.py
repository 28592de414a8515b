"""Django's ``{# … #}`` comment is one line only: one spread over lines is shown to users as
text (it was, under the route preview). Multi-line comments use ``{% comment %}``."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _templates():
    for path in sorted(ROOT.rglob("*.html")):
        if ".venv" in path.parts or "node_modules" in path.parts or "vendor" in path.parts:
            continue
        yield path


def test_no_template_comment_spans_lines():
    bad = []
    for path in _templates():
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            # An opening {# whose closing #} is not on the same line.
            for match in re.finditer(r"\{#", line):
                if "#}" not in line[match.end() :]:
                    bad.append(f"{path.relative_to(ROOT)}:{number}")
    assert bad == []
