"""Who sees the KPI dashboard: the DX推進委員会 (the committee group) and the DX office (the
secretariat unit, as configured in workflow.dx), and superusers. Everybody else gets 404."""

from __future__ import annotations

from typing import Any

from directory.selectors import person_for_user
from workflow.dx.selectors import dx_roles_of


def can_view_kpi(user: Any) -> bool:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    roles = dx_roles_of(user=user, person=person_for_user(user))
    return roles["is_secretariat"] or roles["is_committee"]
