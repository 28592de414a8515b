"""Template helpers of the approval screens: the home tile's counts (dates: kairan_dates)."""

from __future__ import annotations

from typing import Any

from django import template

from workflow.disposal import services as disposal
from workflow.dx import selectors as dx_selectors
from workflow.proposals import selectors

register = template.Library()


@register.simple_tag
def approval_counts(user: Any) -> dict[str, int]:
    """My pending tasks (how many as a deputy; DX action plans waiting for my review or
    approval included, also counted apart), 供覧 to read and unacknowledged 後閲 items."""
    tasks = selectors.task_list_for_user(user=user)
    approvals = [(step, p) for step, p in tasks if step.kind != "circulate"]
    dx_plans = dx_selectors.action_plan_decisions_for_user(user=user)
    return {
        "tasks": len(approvals) + dx_plans,
        "dx_plans": dx_plans,
        "as_deputy": sum(1 for _step, principal in approvals if principal is not None),
        "circulations": len(tasks) - len(approvals),
        "post_reviews": selectors.post_review_list_for_user(user=user).count(),
    }


@register.simple_tag
def disposal_binders(proposal: Any) -> list[Any]:
    """A 廃棄 proposal's binders and what became of each once decided (else none)."""
    if proposal.category.code != disposal.CATEGORY:
        return []
    return disposal.disposal_binders(proposal)
