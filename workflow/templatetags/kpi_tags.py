"""``{% may_view_kpi as show %}``: whether the KPI dashboard's nav link is shown (its role)."""

from __future__ import annotations

from typing import Any

from django import template

from workflow.kpi.permissions import can_view_kpi

register = template.Library()


@register.simple_tag(takes_context=True)
def may_view_kpi(context: dict[str, Any]) -> bool:
    request = context.get("request")
    if request is None:
        return False
    cached = getattr(request, "_kairan_may_view_kpi", None)
    if cached is None:
        cached = can_view_kpi(getattr(request, "user", None))
        request._kairan_may_view_kpi = cached
    return cached
