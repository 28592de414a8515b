"""Proposals (起案), their routes as rows, the decision history, document numbers and 後閲.

Imported by ``workflow/models.py`` so that Django registers the models with the workflow app.
Every write goes through ``workflow/proposals/services/``; see ``docs/workflow-engine.md``.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from directory.models import OrgUnit, Person
from documents.models import Retention
from workflow.engine.history import HistoryEntry

__all__ = [
    "Decision",
    "DocumentCounter",
    "PostReview",
    "Proposal",
    "ProposalReviewer",
    "ProposalStep",
]


class Proposal(models.Model):
    """A 起案: its content, drafter, status and (once decided) its document number.

    A 供覧 (circulation) is a proposal of kind ``circulation``: its route only asks the
    recipients to confirm they have seen it; it ends ``approved`` without a document number.
    """

    class Kind(models.TextChoices):
        DECISION = "decision", _("Proposal for decision (起案)")
        CIRCULATION = "circulation", _("Circulation (供覧)")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        IN_REVIEW = "in_review", _("In review")
        RETURNED = "returned", _("Returned")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        CANCELLED = "cancelled", _("Cancelled")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.DECISION)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"), blank=True)
    # The outgoing letter's body (施行文書): not the internal 伺い文 of ``body``.
    letter_body = models.TextField(_("letter body"), blank=True)
    template = models.ForeignKey(
        "workflow.ProposalTemplate",
        verbose_name=_("template"),
        on_delete=models.SET_NULL,
        related_name="+",
        null=True,
        blank=True,
    )
    # Imported lazily by string: workflow.models imports this module at its end.
    category = models.ForeignKey(
        "workflow.Category", verbose_name=_("category"), on_delete=models.PROTECT, related_name="+"
    )
    amount = models.PositiveBigIntegerField(_("amount (yen)"), null=True, blank=True)
    # 処理期限: by when the drafter needs the decision (shown in the approvers' inboxes).
    due_on = models.DateField(_("due by"), null=True, blank=True)
    # Where the decided proposal is filed (簿冊 of the drafting 課) and for how long.
    binder_title = models.CharField(_("binder (簿冊)"), max_length=200, blank=True)
    retention_years = models.PositiveSmallIntegerField(
        _("retention period"), choices=Retention.choices, null=True, blank=True
    )
    drafter = models.ForeignKey(
        Person,
        verbose_name=_("drafter"),
        on_delete=models.PROTECT,
        related_name="proposals_drafted",
    )
    # The drafter's 課 when the proposal was saved: document numbers count per 課.
    drafting_unit = models.ForeignKey(
        OrgUnit, verbose_name=_("drafting unit"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    # Number of submissions so far; steps of round ``round + 1`` are the preview of the next one.
    round = models.PositiveIntegerField(_("round"), default=0)
    ruleset = models.ForeignKey(
        "workflow.AuthorityRuleSet",
        verbose_name=_("rule set"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    explanations = models.JSONField(_("route explanations"), default=list, blank=True)
    # A circulation's recipients (person ids, in the drafter's order); each round's route is
    # built from them.
    recipient_ids = models.JSONField(_("recipients"), default=list, blank=True)
    # The viewflow process of the current round (a new one per submission); see flows.py.
    process = models.ForeignKey(
        "viewflow.Process",
        verbose_name=_("process"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    document_number = models.CharField(_("document number"), max_length=50, blank=True)
    fiscal_year = models.PositiveSmallIntegerField(_("fiscal year"), null=True, blank=True)
    number = models.PositiveIntegerField(_("number"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("proposal")
        verbose_name_plural = _("proposals")
        constraints = [
            models.UniqueConstraint(
                fields=["drafting_unit", "fiscal_year", "number"],
                condition=Q(number__isnull=False),
                name="workflow_proposal_number_unique",
            ),
            models.CheckConstraint(
                condition=Q(number__isnull=True) | Q(fiscal_year__isnull=False),
                name="workflow_proposal_number_has_year",
            ),
        ]
        indexes = [models.Index(fields=["drafter", "status"])]

    def __str__(self) -> str:
        return self.document_number or self.title


class ProposalReviewer(models.Model):
    """An optional reviewer the drafter added: an extra 回議 step or an extra 合議 party.

    Kept with the proposal so that every round's route (the preview and each submission) is
    built with them; they are optional steps and never replace a required one.
    """

    class Kind(models.TextChoices):
        APPROVE = "approve", _("Approval (回議)")
        CONSULT = "consult", _("Consultation (合議)")

    proposal = models.ForeignKey(
        Proposal, verbose_name=_("proposal"), on_delete=models.CASCADE, related_name="reviewers"
    )
    person = models.ForeignKey(
        Person, verbose_name=_("reviewer"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    # The drafter's order within the kind.
    position = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["proposal", "kind", "position", "id"]
        verbose_name = _("optional reviewer")
        verbose_name_plural = _("optional reviewers")
        constraints = [
            models.UniqueConstraint(
                fields=["proposal", "person"], name="workflow_proposal_reviewer_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.proposal_id} {self.kind} {self.person_id}"


class ProposalStep(models.Model):
    """One step of one round of a route; the step of an active task is ``pending``."""

    class Kind(models.TextChoices):
        APPROVE = "approve", _("Approval (回議)")
        CONSULT = "consult", _("Consultation (合議)")
        DECIDE = "decide", _("Decision (決裁)")
        CIRCULATE = "circulate", _("Circulation (供覧)")

    class State(models.TextChoices):
        WAITING = "waiting", _("Waiting")
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        RETURNED = "returned", _("Sent back")
        REJECTED = "rejected", _("Rejected")
        CANCELLED = "cancelled", _("Cancelled")
        SKIPPED = "skipped", _("Skipped")
        SEEN = "seen", _("Seen")

    proposal = models.ForeignKey(
        Proposal, verbose_name=_("proposal"), on_delete=models.CASCADE, related_name="steps"
    )
    round = models.PositiveIntegerField(_("round"))
    order = models.PositiveSmallIntegerField(_("order"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    approver = models.ForeignKey(
        Person, verbose_name=_("approver"), on_delete=models.PROTECT, related_name="+"
    )
    unit = models.ForeignKey(
        OrgUnit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+"
    )
    position = models.CharField(_("position"), max_length=100, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    level_code = models.CharField(_("level"), max_length=30, blank=True)
    is_optional = models.BooleanField(_("optional"), default=False)
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.WAITING
    )
    acted_by = models.ForeignKey(
        Person,
        verbose_name=_("acted by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    acting_for = models.ForeignKey(
        Person,
        verbose_name=_("acting for"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    # The viewflow task of this step once the flow has reached it (it is then ``pending``).
    task = models.OneToOneField(
        "viewflow.Task",
        verbose_name=_("task"),
        on_delete=models.PROTECT,
        related_name="proposal_step",
        null=True,
        blank=True,
    )
    activated_at = models.DateTimeField(_("activated at"), null=True, blank=True)
    acted_at = models.DateTimeField(_("acted at"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        ordering = ["proposal", "round", "order", "id"]
        verbose_name = _("route step")
        verbose_name_plural = _("route steps")
        indexes = [
            # The inbox: my pending steps, oldest first.
            models.Index(fields=["approver", "state", "activated_at"]),
            models.Index(fields=["proposal", "round", "order"]),
        ]

    def __str__(self) -> str:
        return f"{self.proposal_id}/{self.round}/{self.order} {self.kind} {self.state}"


class Decision(HistoryEntry):
    """The append-only history of a proposal: who did what, for whom, in which round.

    Rows are only ever created (by ``workflow/proposals/services/``); nothing updates or deletes
    them.
    """

    class Action(models.TextChoices):
        CREATED = "created", _("Created")
        UPDATED = "updated", _("Updated")
        SUBMITTED = "submitted", _("Submitted")
        APPROVED = "approved", _("Approved")
        APPROVED_AHEAD = "approved_ahead", _("Approved ahead (引上げ)")
        CONSULTED = "consulted", _("Agreed (合議)")
        DECIDED = "decided", _("Decided")
        SENT_BACK = "sent_back", _("Sent back")
        REJECTED = "rejected", _("Rejected")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        CANCELLED = "cancelled", _("Cancelled")
        SEEN = "seen", _("Seen (供覧)")

    proposal = models.ForeignKey(
        Proposal, verbose_name=_("proposal"), on_delete=models.PROTECT, related_name="decisions"
    )
    step = models.ForeignKey(
        ProposalStep,
        verbose_name=_("step"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    acting_for = models.ForeignKey(
        Person,
        verbose_name=_("acting for"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)

    class Meta:
        ordering = ["proposal", "at", "id"]
        verbose_name = _("decision history entry")
        verbose_name_plural = _("decision history")

    def __str__(self) -> str:
        return f"{self.proposal_id}/{self.round} {self.action}"


class DocumentCounter(models.Model):
    """The last document number given by a 課 in a fiscal year; locked to hand out the next."""

    unit = models.ForeignKey(
        OrgUnit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+"
    )
    fiscal_year = models.PositiveSmallIntegerField(_("fiscal year"))
    last_number = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("document number counter")
        verbose_name_plural = _("document number counters")
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "fiscal_year"], name="workflow_document_counter_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.unit} {self.fiscal_year}: {self.last_number}"


class PostReview(models.Model):
    """A 後閲 item: the principal reviews afterwards what a deputy approved for them (代決)."""

    principal = models.ForeignKey(
        Person, verbose_name=_("principal"), on_delete=models.PROTECT, related_name="post_reviews"
    )
    step = models.ForeignKey(
        ProposalStep, verbose_name=_("step"), on_delete=models.PROTECT, related_name="post_reviews"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # When the principal first opened the proposal after the deputy acted: acknowledging needs
    # it (a 後閲 is a review, not a tick in a list).
    opened_at = models.DateTimeField(_("opened at"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)

    class Meta:
        ordering = ["acknowledged_at", "-created_at", "-id"]
        verbose_name = _("post-review (後閲)")
        verbose_name_plural = _("post-reviews (後閲)")
        constraints = [
            models.UniqueConstraint(
                fields=["principal", "step"], name="workflow_post_review_unique"
            )
        ]
        indexes = [models.Index(fields=["principal", "acknowledged_at"])]

    def __str__(self) -> str:
        return f"{self.principal} {self.step_id}"
