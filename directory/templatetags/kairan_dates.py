"""The one set of date filters of every screen (a template builtin: no ``{% load %}`` needed).

Screens show 和暦 (令和8年11月27日) and 年度 (令和8年度); APIs keep ISO 8601.
"""

from __future__ import annotations

from datetime import date, datetime

from django import template
from django.utils import timezone

from directory.calendar import fiscal_year_label
from directory.calendar import wareki as _wareki

register = template.Library()


def _local_date(value: date | datetime) -> date:
    if isinstance(value, datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value


@register.filter
def wareki(value: date | datetime | None) -> str:
    """令和8年11月27日 (a datetime in local time); empty for None."""
    return _wareki(_local_date(value)) if value else ""


@register.filter
def wareki_time(value: datetime | None) -> str:
    """令和8年11月27日 14:05 in local time; empty for None."""
    if not value:
        return ""
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    return f"{_wareki(local.date())} {local:%H:%M}"


@register.filter
def fy_label(value: int | None) -> str:
    """2026 → 令和8年度."""
    return fiscal_year_label(int(value)) if value else ""
