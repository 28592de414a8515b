"""The binders of a disposal (廃棄) proposal and what became of each once it was decided.

Imported at the end of ``workflow/models.py`` so that Django registers it with the workflow app.
Written only by ``workflow/disposal/services.py``.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from workflow.proposals.models import Proposal

__all__ = ["DisposalProposalBinder"]


class DisposalProposalBinder(models.Model):
    """One binder proposed for disposal: ``proposed`` until the approved decision is carried
    out, then ``disposed`` (with its ``DisposalRecord``) or ``skipped`` (with the reason)."""

    class Outcome(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        DISPOSED = "disposed", _("Disposed of")
        SKIPPED = "skipped", _("Skipped")

    proposal = models.ForeignKey(
        Proposal,
        verbose_name=_("proposal"),
        on_delete=models.PROTECT,
        related_name="disposal_binders",
    )
    binder = models.ForeignKey(
        "documents.Binder", verbose_name=_("binder"), on_delete=models.PROTECT, related_name="+"
    )
    outcome = models.CharField(
        _("outcome"), max_length=10, choices=Outcome.choices, default=Outcome.PROPOSED
    )
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    disposal_record = models.ForeignKey(
        "documents.DisposalRecord",
        verbose_name=_("disposal record"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)

    class Meta:
        ordering = ["proposal", "id"]
        verbose_name = _("binder proposed for disposal")
        verbose_name_plural = _("binders proposed for disposal")
        constraints = [
            models.UniqueConstraint(
                fields=["proposal", "binder"], name="workflow_disposal_binder_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.proposal_id} {self.binder_id} {self.outcome}"
