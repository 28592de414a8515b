"""Reads for the DX action plan screens only, built on ``workflow.dx.selectors`` (pure reads)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from directory.models import Person
from workflow.dx import selectors
from workflow.dx.models import ActionPlan

LIST_LIMIT = 200


def action_plans_drafted_by(*, user: Any, person: Person) -> QuerySet[ActionPlan]:
    """The user's own plans, newest first."""
    return selectors.action_plan_list_visible(user=user).filter(drafter=person)[:LIST_LIMIT]


def action_plans_of_others(*, user: Any, person: Person | None) -> QuerySet[ActionPlan]:
    """The other plans the user may see (their 課's, the DX bodies'), newest first."""
    plans = selectors.action_plan_list_visible(user=user)
    if person is not None:
        plans = plans.exclude(drafter=person)
    return plans[:LIST_LIMIT]
