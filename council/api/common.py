"""Helpers shared by the council API views: ids from paths and bodies, and who may use it."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from audit.exceptions import NotFound, ValidationFailed
from council import permissions

MAX_DB_ID = 2**31 - 1


def parse_id(value: Any) -> int:
    """A path or body id; beyond the database's range it cannot exist (404)."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValidationFailed(_("Not a valid id.")) from None
    if not 0 < number <= MAX_DB_ID:
        raise NotFound(_("Not found."))
    return number


def parse_page(value: Any) -> int:
    number = int(value)
    if not 0 < number <= 100_000:
        raise NotFound(_("Not found."))
    return number


def require_council(user: Any) -> None:
    """Only councilors and the secretariat use the module; anyone else: nothing to see (404)."""
    if not permissions.may_use_council(user):
        raise NotFound(_("Not found."))
