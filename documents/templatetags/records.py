"""Template filters of the records screens: 年度 and 和暦 labels."""

from __future__ import annotations

from datetime import date, datetime

from django import template

from directory.calendar import fiscal_year_label, wareki

register = template.Library()


@register.filter
def fy_label(value: int | None) -> str:
    """2026 → 令和8年度."""
    return fiscal_year_label(int(value)) if value else ""


@register.filter
def wareki_date(value: date | datetime | None) -> str:
    """A date (or aware datetime) as 令和8年11月27日."""
    return wareki(value) if value else ""
