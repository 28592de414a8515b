"""What the 文書 section maintains for drafting: 起案 templates per category and the city's
施行文書 (letter) template. Imported by ``workflow/models.py`` so that Django registers them;
edited by administrators (``workflow/admin.py``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from documents.models import Retention

__all__ = ["LetterTemplate", "ProposalTemplate"]


class ProposalTemplate(models.Model):
    """A 起案 template of a category: it pre-fills the form and names the attachments a
    proposal of its kind must carry before it can be submitted."""

    category = models.ForeignKey(
        "workflow.Category", verbose_name=_("category"), on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("name"), max_length=100)
    title_pattern = models.CharField(
        _("title pattern"),
        max_length=200,
        blank=True,
        help_text=_("Pre-filled title, e.g. 「〇〇の実施について」."),
    )
    inquiry = models.TextField(
        _("inquiry (伺い文)"),
        blank=True,
        help_text=_("The internal request, e.g. 「…実施してよろしいか伺います。」"),
    )
    body_skeleton = models.TextField(_("body skeleton"), blank=True)
    required_attachments = models.TextField(
        _("required attachments"),
        blank=True,
        help_text=_("One per line, e.g. 見積書. A proposal is submitted only with each of them."),
    )
    letter_body = models.TextField(
        _("letter body skeleton"),
        blank=True,
        help_text=_("Pre-filled body of the outgoing letter (施行文書), separate from the 伺い文."),
    )
    binder_title = models.CharField(
        _("binder (簿冊)"),
        max_length=200,
        blank=True,
        help_text=_(
            "The binder of the drafting division a decided proposal is filed in, e.g. "
            "「道路維持工事 起案綴」 (created for the fiscal year when missing)."
        ),
    )
    retention_years = models.PositiveSmallIntegerField(
        _("retention period"), choices=Retention.choices, null=True, blank=True
    )
    is_active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveIntegerField(_("sort order"), default=0)

    class Meta:
        ordering = ["category__sort_order", "sort_order", "name"]
        verbose_name = _("proposal template")
        verbose_name_plural = _("proposal templates")

    def __str__(self) -> str:
        return self.name

    @property
    def required_list(self) -> list[str]:
        return [line.strip() for line in self.required_attachments.splitlines() if line.strip()]


class LetterTemplate(models.Model):
    """The city's own 施行文書 layout (様式), a .docx with placeholders filled by docxtpl; the
    active one is used, otherwise the built-in layout."""

    name = models.CharField(_("name"), max_length=100)
    file = models.FileField(_("DOCX template"), upload_to="letter_templates/")
    is_active = models.BooleanField(_("in use"), default=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        ordering = ["-uploaded_at"]
        verbose_name = _("letter template")
        verbose_name_plural = _("letter templates")
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"], condition=Q(is_active=True), name="workflow_one_letter_tpl"
            )
        ]

    def __str__(self) -> str:
        return self.name
