"""Who may do what in chat: pure predicates (the services enforce them)."""

from __future__ import annotations

from typing import Any

from chat.models import Message, Room
from directory.models import HEAD_MIN_RANK, Assignment


def can_manage_members(user: Any, room: Room) -> bool:
    """Members of a group room may rename it and add people; unit, direct and system rooms are
    managed by the system."""
    return room.kind == Room.Kind.GROUP


def can_edit_message(user: Any, message: Message) -> bool:
    return message.sender_id == user.pk and message.deleted_at is None


def can_mark_mandatory(user: Any) -> bool:
    """係長 or above (by the rank table) may mark a message 必読."""
    return Assignment.objects.filter(
        person__user=user, person__is_active=True, position__rank__gte=HEAD_MIN_RANK
    ).exists()


def can_manage_records(user: Any) -> bool:
    """Chat as records — the compliance export, legal holds, the retention overview — is for
    auditors (the audit log's view permission), as the records' disclosure work is."""
    from audit.permissions import can_view_audit_log

    return can_view_audit_log(user)
