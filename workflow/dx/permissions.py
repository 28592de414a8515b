"""Who may do what with a DX action plan. Pure predicates: callers pass what they loaded.

``unit_ids`` is the set of units a person belongs to: every unit of their posts (兼務 too) and
the units above them, so a member of a 係 is a member of its 課
(``workflow.dx.selectors.person_unit_ids``). ``group_ids`` are the user's Django groups.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from workflow.dx.models import ActionPlan

Status = ActionPlan.Status
EDITABLE = (Status.DRAFT, Status.RETURNED)
CANCELLABLE = (Status.DRAFT, Status.RETURNED, Status.IN_REVIEW)
REPORTABLE = (Status.APPROVED, Status.REPORTING)


def is_drafter(person: Any, plan: ActionPlan) -> bool:
    return person is not None and plan.drafter_id == person.pk


def can_edit_action_plan(person: Any, plan: ActionPlan) -> bool:
    """The drafter, while the plan is a draft or has been sent back."""
    return is_drafter(person, plan) and plan.status in EDITABLE


def is_secretariat_member(unit_ids: Collection[int], secretariat_unit_id: int | None) -> bool:
    return secretariat_unit_id is not None and secretariat_unit_id in unit_ids


def is_committee_member(group_ids: Collection[int], committee_group_id: int | None) -> bool:
    return committee_group_id is not None and committee_group_id in group_ids


def can_review_action_plan(
    person: Any, plan: ActionPlan, *, unit_ids: Collection[int], secretariat_unit_id: int | None
) -> bool:
    """A member of the secretariat unit (the plan's once submitted), never the drafter."""
    return (
        person is not None
        and not is_drafter(person, plan)
        and is_secretariat_member(unit_ids, secretariat_unit_id)
    )


def can_approve_action_plan(
    person: Any, plan: ActionPlan, *, group_ids: Collection[int], committee_group_id: int | None
) -> bool:
    """A member of the committee group (the plan's once reviewed), never the drafter."""
    return (
        person is not None
        and not is_drafter(person, plan)
        and is_committee_member(group_ids, committee_group_id)
    )
