"""Template filters of the council screens: 和暦 dates in local time."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils import timezone

from directory.calendar import wareki

register = template.Library()


@register.filter
def council_datetime(value: datetime | None) -> str:
    """令和8年12月6日 14:05 (local time; empty for None)."""
    if not value:
        return ""
    local = timezone.localtime(value)
    return f"{wareki(local)} {local:%H:%M}"
