"""DX action plans, who the 事務局 and the 委員会 are, and the plans' append-only history.

Imported by ``workflow/models.py`` (its last line) so that Django registers these models with
the workflow app. Every write goes through ``workflow/dx/services.py``.
"""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from directory.models import OrgUnit, Person
from workflow.engine.history import HistoryEntry

__all__ = ["ActionPlan", "DXDecision", "DXSettings"]

# Used when the settings name no unit or group: the first unit found by these names, in order.
DEFAULT_SECRETARIAT_UNIT_NAMES = ("デジタル推進課", "DX推進係")
DEFAULT_COMMITTEE_GROUP_NAME = "DX推進委員会"


class DXSettings(models.Model):
    """Who is the DX推進事務局 (a unit) and the DX推進委員会 (a group): one row, edited in the
    admin. Empty fields fall back to the default names above."""

    # A singleton: the key is always 1.
    key = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    secretariat_unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("DX secretariat unit"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        help_text=_("Empty: the unit named デジタル推進課, else DX推進係."),
    )
    committee_group = models.ForeignKey(
        Group,
        verbose_name=_("DX committee group"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        help_text=_("Empty: the group named DX推進委員会."),
    )

    class Meta:
        verbose_name = _("DX settings")
        verbose_name_plural = _("DX settings")
        constraints = [models.CheckConstraint(condition=Q(key=1), name="workflow_dxsettings_one")]

    def __str__(self) -> str:
        return str(_("DX settings"))


class ActionPlan(models.Model):
    """A DX action plan of a 課: its content, the bodies reviewing it, status and results."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        IN_REVIEW = "in_review", pgettext_lazy("DX action plan", "In review")
        RETURNED = "returned", _("Returned")
        APPROVED = "approved", pgettext_lazy("DX action plan", "Approved")
        REPORTING = "reporting", _("Reporting results")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")

    title = models.CharField(pgettext_lazy("DX action plan", "title"), max_length=200)
    goal = models.TextField(_("goal"))
    estimated_cost = models.PositiveBigIntegerField(_("estimated cost (yen)"))
    technology = models.TextField(_("technology"))
    # The drafter's 課 when the plan was created: its members may read it.
    owning_unit = models.ForeignKey(
        OrgUnit, verbose_name=_("owning unit"), on_delete=models.PROTECT, related_name="+"
    )
    drafter = models.ForeignKey(
        Person, verbose_name=_("drafter"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    # Number of submissions so far: a send-back and a resubmission start a new round.
    round = models.PositiveIntegerField(_("round"), default=0)
    report_due_on = models.DateField(_("results report due on"), null=True, blank=True)
    results = models.TextField(_("results (効果検証)"), blank=True)
    # The bodies of the current round, fixed when their task is created (a later change of the
    # settings does not move an open task; the record says who was 事務局 and 委員会 then).
    secretariat_unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("DX secretariat unit"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    committee_group = models.ForeignKey(
        Group,
        verbose_name=_("DX committee group"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    # One viewflow process for the plan's whole life (see workflow/dx/flows.py).
    process = models.ForeignKey(
        "viewflow.Process",
        verbose_name=_("process"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    submitted_at = models.DateTimeField(
        pgettext_lazy("DX action plan", "submitted at"), null=True, blank=True
    )
    # Set when the secretariat passes the current round on to the committee.
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    approved_at = models.DateTimeField(
        pgettext_lazy("DX action plan", "approved at"), null=True, blank=True
    )
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("DX action plan")
        verbose_name_plural = _("DX action plans")
        indexes = [
            models.Index(fields=["owning_unit", "status"]),
            # Overdue results reports: open plans by due date.
            models.Index(fields=["status", "report_due_on"]),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def stage(self) -> str:
        """Who acts now: ``secretariat``, ``committee``, ``drafter`` or ``""`` (nobody)."""
        if self.status == self.Status.IN_REVIEW:
            return "committee" if self.reviewed_at else "secretariat"
        if self.status in (self.Status.RETURNED, self.Status.APPROVED, self.Status.REPORTING):
            return "drafter"
        return ""


class DXDecision(HistoryEntry):
    """The append-only history of an action plan: who did what, in which round.

    The secretariat's review rows also carry its cost and technical verdicts and comments.
    Rows are only ever created (by ``workflow/dx/services.py``); on PostgreSQL a trigger
    refuses UPDATE and DELETE.
    """

    class Action(models.TextChoices):
        CREATED = "created", _("Created")
        UPDATED = "updated", _("Updated")
        SUBMITTED = "submitted", pgettext_lazy("DX action plan", "Submitted")
        CLAIMED = "claimed", _("Claimed")
        REVIEWED = "reviewed", _("Reviewed by the secretariat")
        SENT_BACK = "sent_back", _("Sent back")
        APPROVED = "approved", _("Approved by the committee")
        REPORT_SAVED = "report_saved", _("Results saved")
        COMPLETED = "completed", _("Results reported")
        CANCELLED = "cancelled", _("Cancelled")

    plan = models.ForeignKey(
        ActionPlan, verbose_name=_("DX action plan"), on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    # The secretariat's two reviews (None: not part of this entry).
    is_cost_ok = models.BooleanField(_("cost review passed"), null=True, blank=True)
    cost_comment = models.TextField(_("cost review comment"), blank=True)
    is_technology_ok = models.BooleanField(_("technical review passed"), null=True, blank=True)
    technology_comment = models.TextField(_("technical review comment"), blank=True)
    # The viewflow task acted on, if any.
    task = models.ForeignKey(
        "viewflow.Task",
        verbose_name=_("task"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )

    class Meta:
        ordering = ["plan", "at", "id"]
        verbose_name = _("DX action plan history entry")
        verbose_name_plural = _("DX action plan history")
        indexes = [models.Index(fields=["plan", "at"])]

    def __str__(self) -> str:
        return f"{self.plan_id}/{self.round} {self.action}"
