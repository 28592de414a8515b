"""The shape of an annotation (validated before it is stored): vectors, notes and a bookmark.

```json
{"strokes": [{"tool": "pen"|"highlighter", "color": "#d00", "width": 2,
              "points": [[x, y], ...]}],           # x, y in 0..1 of the page's width/height
 "notes": [{"x": 0.1, "y": 0.2, "text": "..."}],
 "bookmark": true}
```
The eraser is a client tool: it removes strokes, and the page is stored without them.
"""

from __future__ import annotations

import re
from typing import Any

from django.utils.translation import gettext as _

from audit.exceptions import ValidationFailed

MAX_STROKES = 2000
MAX_POINTS = 5000
MAX_NOTES = 200
MAX_NOTE_CHARS = 4000
TOOLS = ("pen", "highlighter")
_COLOR = re.compile(r"#[0-9a-fA-F]{3,8}")


def _bad() -> ValidationFailed:
    return ValidationFailed(_("The annotation is not in the expected format."))


def _coord(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _bad()
    number = float(value)
    if not -0.5 <= number <= 1.5:  # a stroke may run a little past the page's edge
        raise _bad()
    return round(number, 5)


def clean(data: Any) -> dict:
    """A clean copy of ``data``; raises ValidationFailed (400) for anything else."""
    if not isinstance(data, dict):
        raise _bad()
    strokes_in = data.get("strokes", [])
    notes_in = data.get("notes", [])
    if not isinstance(strokes_in, list) or not isinstance(notes_in, list):
        raise _bad()
    if len(strokes_in) > MAX_STROKES or len(notes_in) > MAX_NOTES:
        raise ValidationFailed(_("Too many strokes or notes on one page."))
    strokes = []
    for stroke in strokes_in:
        if not isinstance(stroke, dict) or stroke.get("tool", "pen") not in TOOLS:
            raise _bad()
        points = stroke.get("points")
        if not isinstance(points, list) or not points or len(points) > MAX_POINTS:
            raise _bad()
        color = str(stroke.get("color", "#1a1a1a"))
        if not _COLOR.fullmatch(color):
            raise _bad()
        width = stroke.get("width", 2)
        if isinstance(width, bool) or not isinstance(width, int | float) or not 0 < width <= 64:
            raise _bad()
        clean_points = []
        for point in points:
            if not isinstance(point, list | tuple) or len(point) != 2:
                raise _bad()
            clean_points.append([_coord(point[0]), _coord(point[1])])
        strokes.append(
            {
                "tool": stroke.get("tool", "pen"),
                "color": color,
                "width": float(width),
                "points": clean_points,
            }
        )
    notes = []
    for note in notes_in:
        if not isinstance(note, dict) or not isinstance(note.get("text"), str):
            raise _bad()
        if len(note["text"]) > MAX_NOTE_CHARS:
            raise ValidationFailed(_("A note is too long."))
        notes.append(
            {"x": _coord(note.get("x", 0)), "y": _coord(note.get("y", 0)), "text": note["text"]}
        )
    bookmark = data.get("bookmark", False)
    if not isinstance(bookmark, bool):
        raise _bad()
    return {"strokes": strokes, "notes": notes, "bookmark": bookmark}


def merge(first: dict, second: dict) -> dict:
    """Two annotations that landed on one page: nothing is dropped."""
    return {
        "strokes": [*first.get("strokes", []), *second.get("strokes", [])],
        "notes": [*first.get("notes", []), *second.get("notes", [])],
        "bookmark": bool(first.get("bookmark") or second.get("bookmark")),
    }
