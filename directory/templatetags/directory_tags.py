"""Template filters of the directory screens: 和暦 dates."""

from __future__ import annotations

from datetime import date, datetime

from django import template
from django.utils import timezone

from directory.calendar import wareki as _wareki

register = template.Library()


@register.filter
def wareki(value: date | datetime | None) -> str:
    """令和9年4月1日; empty for None."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = timezone.localtime(value).date()
    return _wareki(value)
