"""The shared shape of workflow's append-only decision histories.

``Decision`` (a proposal's history) and ``DXDecision`` (a DX action plan's) are one entry per
action: who did it, in which round, with what comment, when. Each adds the record it belongs to
and its own ``action`` choices. Rows are only ever created, by the services; on PostgreSQL a
trigger per table refuses UPDATE and DELETE (migrations 0005 and 0007), so history cannot be
rewritten even outside Django.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from directory.models import Person

__all__ = ["HistoryEntry"]


class HistoryEntry(models.Model):
    """An append-only history row: create it once, never save it again and never delete it.

    Subclasses add the record the entry belongs to and ``action`` (a ``CharField`` of
    ``max_length=20`` with their own ``Action`` choices).
    """

    round = models.PositiveIntegerField(_("round"))
    actor = models.ForeignKey(
        Person, verbose_name=_("actor"), on_delete=models.PROTECT, related_name="+"
    )
    comment = models.TextField(_("comment"), blank=True)
    at = models.DateTimeField(_("at"))

    class Meta:
        abstract = True
