"""Who may do what with the audit log. Pure predicates."""

from __future__ import annotations

from typing import Any

VIEW_PERMISSION = "audit.view_auditevent"


def can_view_audit_log(user: Any) -> bool:
    """Whether ``user`` may read the audit log (auditors and superusers)."""
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and user.has_perm(VIEW_PERMISSION)
    )
