"""A staged reorganisation (人事異動・組織改正): what changes on its effective date, line by line.

Imported by ``directory/models.py`` so that Django registers the models with the directory app.
The 人事課 stages one from a file (``directory/reorg_file.py``); ``directory/reorg.py`` runs the
dry run, applies it on its date and cancels it before then.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Reorganisation(models.Model):
    class Status(models.TextChoices):
        STAGED = "staged", _("Staged")
        APPLIED = "applied", _("Applied")
        CANCELLED = "cancelled", _("Cancelled")

    class Numbering(models.TextChoices):
        # What a renamed or merged 課's document numbers do for the rest of the 年度.
        CONTINUE = "continue", _("Continue the fiscal year's numbering")
        RESTART = "restart", _("Start again from 1 in new units")

    title = models.CharField(_("title"), max_length=200)
    effective_on = models.DateField(_("effective date"))
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.STAGED
    )
    numbering = models.CharField(
        _("document numbering"),
        max_length=20,
        choices=Numbering.choices,
        default=Numbering.CONTINUE,
    )
    file_name = models.CharField(_("file"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staged by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    created_at = models.DateTimeField(_("staged at"), auto_now_add=True)
    applied_at = models.DateTimeField(_("applied at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    # The last dry run's (or the apply's) report, as shown on screen: derived data, kept so the
    # 人事課 can compare it with what was applied.
    report = models.JSONField(_("report"), default=dict, blank=True)

    class Meta:
        ordering = ["-effective_on", "-id"]
        verbose_name = _("reorganisation")
        verbose_name_plural = _("reorganisations")
        indexes = [models.Index(fields=["status", "effective_on"])]

    def __str__(self) -> str:
        return f"{self.title} ({self.effective_on})"


class ReorgLine(models.Model):
    """One line of the file: a unit to create, rename, merge or close; a person's new post."""

    class Kind(models.TextChoices):
        UNIT_CREATE = "unit_create", _("New unit (新設)")
        UNIT_RENAME = "unit_rename", _("Rename (名称変更)")
        UNIT_MERGE = "unit_merge", _("Merge (統合)")
        UNIT_CLOSE = "unit_close", _("Close (廃止)")
        POST = "post", _("Transfer (異動)")
        CONCURRENT = "concurrent", _("Concurrent post (兼務)")
        LEAVE = "leave", _("Leaves (退職)")

    reorganisation = models.ForeignKey(
        Reorganisation,
        verbose_name=_("reorganisation"),
        on_delete=models.CASCADE,
        related_name="lines",
    )
    line_no = models.PositiveIntegerField(_("line"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    # A unit's path (総務部/総務課) or a username, as written in the file.
    target = models.CharField(_("target"), max_length=300)
    unit = models.CharField(_("unit"), max_length=300, blank=True)
    title = models.CharField(_("title"), max_length=100, blank=True)
    name = models.CharField(_("new name"), max_length=100, blank=True)
    prefix = models.CharField(_("document number prefix"), max_length=20, blank=True)

    class Meta:
        ordering = ["reorganisation", "line_no"]
        verbose_name = _("reorganisation line")
        verbose_name_plural = _("reorganisation lines")

    def __str__(self) -> str:
        return f"{self.line_no}: {self.kind} {self.target}"
