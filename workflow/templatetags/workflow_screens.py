"""Template helpers of the approval screens: 和暦 dates and the home tile's counts."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django import template
from django.utils import timezone

from directory.calendar import wareki as _wareki
from workflow import selectors

register = template.Library()


@register.filter
def wareki(value: date | datetime | None) -> str:
    """令和8年11月27日 (empty for None)."""
    return _wareki(value) if value else ""


@register.filter
def wareki_time(value: datetime | None) -> str:
    """令和8年11月27日 14:05 in local time (empty for None)."""
    if not value:
        return ""
    return f"{_wareki(value)} {timezone.localtime(value):%H:%M}"


@register.simple_tag
def approval_counts(user: Any) -> dict[str, int]:
    """My pending tasks (how many as a deputy), 供覧 to read and unacknowledged 後閲 items."""
    tasks = selectors.task_list_for_user(user=user)
    approvals = [(step, p) for step, p in tasks if step.kind != "circulate"]
    return {
        "tasks": len(approvals),
        "as_deputy": sum(1 for _step, principal in approvals if principal is not None),
        "circulations": len(tasks) - len(approvals),
        "post_reviews": selectors.post_review_list_for_user(user=user).count(),
    }
