"""Ranges that every app checks at its edge (serializers, forms, query parameters), so that a
number or date the database or the calendar cannot hold is a 400 naming the field, never a
server error further in. Django validators: DRF fields and Django form fields both take them.
Text too: titles and names of one visible line, texts without bidirectional or control
characters (``validate_title``, ``validate_text``).
"""

from __future__ import annotations

import unicodedata
from datetime import date

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from audit.exceptions import ValidationFailed

# The largest value of a 64-bit signed column: every id (BigAutoField) and SQLite's INTEGER.
DB_ID_MAX = 2**63 - 1
# 1,000兆円: above any budget a city will see, and far below what the amount columns hold.
AMOUNT_MAX_YEN = 10**15
# Records and decisions of this office are dated in 平成 or later; 2100 leaves any retention
# period (at most 30 years, or permanent) room without reaching the calendar's end.
DATE_MIN = date(1989, 1, 1)
DATE_MAX = date(2100, 12, 31)
# Fiscal years (年度) a binder or register may carry: older paper records are filed too.
YEAR_MIN, YEAR_MAX = 1900, 2999

_DATE_RANGE_MESSAGE = _("Enter a date from %(min)s to %(max)s.")
_NUMBER_RANGE_MESSAGE = _("Enter a number from %(min)s to %(max)s.")


def validate_amount_yen(value: int) -> None:
    """At most AMOUNT_MAX_YEN yen (the lower bound, 0, is the field's own)."""
    if value is not None and value > AMOUNT_MAX_YEN:
        raise ValidationError(
            _("The amount may be at most %(max)s yen."),
            code="max_value",
            params={"max": f"{AMOUNT_MAX_YEN:,}"},
        )


def validate_db_id(value: int) -> None:
    """An id the database can hold: 1 to DB_ID_MAX."""
    if value is not None and not 1 <= value <= DB_ID_MAX:
        raise ValidationError(
            _NUMBER_RANGE_MESSAGE, code="out_of_range", params={"min": 1, "max": DB_ID_MAX}
        )


def validate_date_in_range(value: date) -> None:
    """DATE_MIN to DATE_MAX."""
    if value is not None and not DATE_MIN <= value <= DATE_MAX:
        raise ValidationError(_DATE_RANGE_MESSAGE, code="out_of_range", params=_date_range_params())


def date_range_message() -> str:
    """The out-of-range message, translated now (for a query parameter or a page)."""
    return str(_DATE_RANGE_MESSAGE) % _date_range_params()


def _date_range_params() -> dict[str, str]:
    return {"min": DATE_MIN.isoformat(), "max": DATE_MAX.isoformat()}


def as_db_id(raw: str | None) -> int | None:
    """``raw`` as an id when it is ASCII digits from 1 to DB_ID_MAX, else None (for lists
    of ids from a form, where anything else is simply not one of the rows)."""
    if not raw or not (raw.isascii() and raw.isdigit()) or len(raw) > len(str(DB_ID_MAX)):
        return None
    value = int(raw)
    return value if 1 <= value <= DB_ID_MAX else None


def id_param(raw: str | None, name: str | None = None) -> int | None:
    """A query parameter holding an id: None when absent or empty; ValidationFailed (400,
    naming the parameter when given) unless it is ASCII digits from 1 to DB_ID_MAX."""
    if not raw:
        return None
    return _whole_number(raw, name, low=1, high=DB_ID_MAX)


def year_param(raw: str | None, name: str | None = None) -> int | None:
    """A query parameter holding a (fiscal) year from YEAR_MIN to YEAR_MAX; None when absent;
    ValidationFailed naming the parameter otherwise."""
    if not raw:
        return None
    return _whole_number(raw, name, low=YEAR_MIN, high=YEAR_MAX)


def date_param(raw: str | None, name: str | None = None) -> date | None:
    """A query parameter holding a date (YYYY-MM-DD) within the date range; None when absent;
    ValidationFailed naming the parameter otherwise."""
    if not raw:
        return None
    try:
        value = date.fromisoformat(raw)
    except ValueError:
        raise _refused(name, str(_("A date (YYYY-MM-DD) is required."))) from None
    if not DATE_MIN <= value <= DATE_MAX:
        raise _refused(name, date_range_message())
    return value


def _whole_number(raw: str, name: str | None, *, low: int, high: int) -> int:
    # isascii: str.isdigit() also accepts "²" and other digits int() refuses.
    if not (raw.isascii() and raw.isdigit()):
        raise _refused(name, str(_("A whole number is required.")))
    # Compared as text first: int() of a very long string is refused by Python (and slow).
    if len(raw.lstrip("0")) > len(str(high)) or not low <= int(raw) <= high:
        raise _refused(name, str(_NUMBER_RANGE_MESSAGE) % {"min": low, "max": high})
    return int(raw)


def _refused(name: str | None, message: str) -> ValidationFailed:
    return ValidationFailed(f"{name}: {message}" if name else message)


# --- Text ------------------------------------------------------------------------------------
# Characters that reorder how text is displayed: "請求書\u202efdp.exe" shows as 請求書exe.pdf.
# Embeddings and overrides (LRE, RLE, PDF, LRO, RLO), isolates (LRI, RLI, FSI, PDI), the marks
# (LRM, RLM) and the Arabic letter mark. Japanese text never needs them.
BIDI_CONTROLS = frozenset(
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
)
# Blank-looking letters that are not spaces to Unicode (Hangul fillers, braille blank).
_BLANK_LOOKING = frozenset("\u115f\u1160\u3164\uffa0\u2800")
# What a multi-line text (a proposal's body, a comment) may hold of the control characters.
_LINE_CONTROLS = frozenset("\t\n\r")

_BIDI_MESSAGE = _(
    "The text contains characters that change the direction it is displayed in "
    "(bidirectional controls); remove them."
)
_CONTROL_MESSAGE = _("The text contains control characters; remove them.")
_INVISIBLE_MESSAGE = _("Enter visible text, not only spaces or invisible characters.")


def validate_text(value: str) -> None:
    """Any text of the UI and the API (a body, a comment, a reason): no bidirectional controls
    and no control characters except tab and line breaks."""
    if not value:
        return
    _refuse_controls(value, allowed=_LINE_CONTROLS)


def validate_title(value: str) -> None:
    """A title or a name: one line of text (no control characters at all, no bidirectional
    controls) with at least one visible character — not only spaces or zero-width characters."""
    if not value:
        return
    _refuse_controls(value, allowed=frozenset())
    if not has_visible_character(value):
        raise ValidationError(_INVISIBLE_MESSAGE, code="invisible")


def has_visible_character(value: str) -> bool:
    """True when ``value`` shows anything: a character that is not a space, a separator, a
    format character (zero-width space, joiners, BOM) or a blank-looking filler."""
    return any(
        not char.isspace()
        and unicodedata.category(char) not in _INVISIBLE_CATEGORIES
        and char not in _BLANK_LOOKING
        for char in value
    )


_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Zs", "Zl", "Zp", "Mn", "Me"})


def _refuse_controls(value: str, *, allowed: frozenset[str]) -> None:
    if any(char in BIDI_CONTROLS for char in value):
        raise ValidationError(_BIDI_MESSAGE, code="bidi_control")
    for char in value:
        category = unicodedata.category(char)
        if category == "Cc" and char not in allowed:
            raise ValidationError(_CONTROL_MESSAGE, code="control_character")
        # Line and paragraph separators break a title's line as a control character would.
        if not allowed and category in {"Zl", "Zp"}:
            raise ValidationError(_CONTROL_MESSAGE, code="control_character")
