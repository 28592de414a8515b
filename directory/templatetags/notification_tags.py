"""The header bell: ``{% unread_notifications_count current_person as unread %}``."""

from __future__ import annotations

from django import template

from directory.models import Person
from directory.notifications import notifications_unread_count

register = template.Library()


@register.simple_tag
def unread_notifications_count(person: Person | None) -> int:
    return notifications_unread_count(person)
