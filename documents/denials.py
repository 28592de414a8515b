"""Refused access to confidential records leaves a trace (``documents.access_denied``).

The selectors answer "not found" alike for a record that does not exist and one the person may
not see (CONTRACT.md: 404 *or not visible to you*); for a confidential record that exists the
auditor must still learn who tried. Recorded at most once per person and record per
``ACCESS_DENIED_AUDIT_SECONDS`` (the cache remembers), so a page that retries, a preview's
page images or a script probing ids cannot flood the log.
"""

from __future__ import annotations

from typing import Any

from django.core.cache import cache
from django.db import models

from audit import services as audit
from documents.models import Classification

ACCESS_DENIED_ACTION = "documents.access_denied"
ACCESS_DENIED_AUDIT_SECONDS = 10 * 60


def access_denied_record(*, user: Any, model: type[models.Model], object_id: Any) -> None:
    """When ``object_id`` is a confidential ``model`` row (Document or Binder) that ``user`` was
    just refused, record ``documents.access_denied`` (actor, target, client address), unless the
    same person was recorded for the same row within ``ACCESS_DENIED_AUDIT_SECONDS``."""
    if not (user is not None and getattr(user, "is_authenticated", False)):
        return
    row = (
        model._default_manager.filter(pk=object_id, classification=Classification.CONFIDENTIAL)
        .only("pk")
        .first()
    )
    if row is None:
        return
    key = f"kairan:access_denied:{user.pk}:{model._meta.label_lower}:{row.pk}"
    if not cache.add(key, True, timeout=ACCESS_DENIED_AUDIT_SECONDS):
        return
    try:
        audit.record(
            action=ACCESS_DENIED_ACTION,
            actor=user,
            target=row,
            details={"classification": Classification.CONFIDENTIAL},
        )
    except BaseException:
        cache.delete(key)  # not recorded: the next refusal tries again
        raise
