"""Who sees the KPI dashboard: the DX推進委員会 (the committee group) and the DX office (the
secretariat unit and the units below it), as workflow.dx finds them, and superusers. Everybody
else gets 404. Two to four queries (the nav asks on every page)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q

from workflow.dx.models import DEFAULT_COMMITTEE_GROUP_NAME
from workflow.dx.selectors import dx_settings_get, secretariat_unit_current


def can_view_kpi(user: Any) -> bool:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    settings_row = dx_settings_get()
    if settings_row.committee_group_id is not None:
        role = Q(groups=settings_row.committee_group_id)
    else:
        role = Q(groups__name=DEFAULT_COMMITTEE_GROUP_NAME)
    secretariat_id = settings_row.secretariat_unit_id
    if secretariat_id is None:
        unit = secretariat_unit_current()
        secretariat_id = unit.pk if unit is not None else None
    if secretariat_id is not None:
        posts = "person__assignments__unit"
        role |= (
            Q(**{f"{posts}_id": secretariat_id})
            | Q(**{f"{posts}__parent_id": secretariat_id})
            | Q(**{f"{posts}__parent__parent_id": secretariat_id})
        )
    return get_user_model().objects.filter(pk=user.pk).filter(role).exists()
