"""Attachments of proposals (添付資料) and what each round asked about: the exact versions of
its attachments (``RoundAttachment``) and its content (``RoundContent``, for the comparison of
one round with the previous one).

While the proposal is a draft (or returned) the drafter adds, replaces (a new version of the
document) and removes ``ProposalAttachment`` links. Submission freezes them: the round records
the exact version and SHA-256 of each (``RoundAttachment``), so what the approvers decided on
is provable later even if the document gets another version; a different file needs a new
round. Imported by ``workflow/models.py`` so that Django registers the models.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from directory.models import Person
from documents.models import Document, DocumentVersion
from workflow.proposals.models import Proposal

__all__ = ["ProposalAttachment", "RoundAttachment", "RoundContent"]


class ProposalAttachment(models.Model):
    """A document attached to a proposal by its drafter."""

    proposal = models.ForeignKey(
        Proposal, verbose_name=_("proposal"), on_delete=models.CASCADE, related_name="attachments"
    )
    document = models.ForeignKey(
        Document, verbose_name=_("document"), on_delete=models.PROTECT, related_name="+"
    )
    added_by = models.ForeignKey(
        Person, verbose_name=_("added by"), on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField(_("added at"), auto_now_add=True)

    class Meta:
        ordering = ["proposal", "added_at", "id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        constraints = [
            models.UniqueConstraint(
                fields=["proposal", "document"], name="workflow_attachment_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.proposal_id}: {self.document_id}"


class RoundAttachment(models.Model):
    """An attachment as a round of the route saw it: the exact version and its SHA-256."""

    proposal = models.ForeignKey(
        Proposal,
        verbose_name=_("proposal"),
        on_delete=models.PROTECT,
        related_name="round_attachments",
    )
    round = models.PositiveIntegerField(_("round"))
    # The link, while it exists (a later draft may remove it; the round keeps what it saw).
    attachment = models.ForeignKey(
        ProposalAttachment,
        verbose_name=_("attachment"),
        on_delete=models.SET_NULL,
        related_name="+",
        null=True,
        blank=True,
    )
    document = models.ForeignKey(
        Document, verbose_name=_("document"), on_delete=models.PROTECT, related_name="+"
    )
    version = models.ForeignKey(
        DocumentVersion, verbose_name=_("version"), on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(_("title"), max_length=200)
    sha256 = models.CharField(_("SHA-256"), max_length=64)

    class Meta:
        ordering = ["proposal", "round", "id"]
        verbose_name = _("attachment of a round")
        verbose_name_plural = _("attachments of rounds")
        constraints = [
            models.UniqueConstraint(
                fields=["proposal", "round", "document"], name="workflow_round_attachment_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.proposal_id}/{self.round}: {self.document_id} v{self.version_id}"


class RoundContent(models.Model):
    """What a round asked about: the proposal's title, body, category and amount when it was
    submitted (the detail page compares a round with the one before it)."""

    proposal = models.ForeignKey(
        Proposal, verbose_name=_("proposal"), on_delete=models.PROTECT, related_name="+"
    )
    round = models.PositiveIntegerField(_("round"))
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"), blank=True)
    category_name = models.CharField(_("category"), max_length=100)
    amount = models.PositiveBigIntegerField(_("amount (yen)"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"))

    class Meta:
        ordering = ["proposal", "round"]
        verbose_name = _("content of a round")
        verbose_name_plural = _("contents of rounds")
        constraints = [
            models.UniqueConstraint(
                fields=["proposal", "round"], name="workflow_round_content_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.proposal_id}/{self.round}"
