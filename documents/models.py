"""Records (文書管理): content-addressed blobs, documents and their immutable versions, binders
(簿冊) with retention (保存年限), disposal records, and the incoming/outgoing registers.

Every write goes through ``documents/services.py``; every read through ``documents/selectors.py``.
Rows describing a record are never deleted: a disposal purges the files and keeps the metadata
and a ``DisposalRecord`` forever.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from directory.models import OrgUnit


class Classification(models.TextChoices):
    PUBLIC = "public", _("Public")
    INTERNAL = "internal", _("Internal")
    CONFIDENTIAL = "confidential", _("Confidential")


class Retention(models.IntegerChoices):
    """保存年限 in years; ``PERMANENT`` (永年) is 0 and never reaches a disposal date."""

    ONE = 1, _("1 year")
    THREE = 3, _("3 years")
    FIVE = 5, _("5 years")
    TEN = 10, _("10 years")
    THIRTY = 30, _("30 years")
    PERMANENT = 0, _("Permanent (永年)")


class Blob(models.Model):
    """File content stored once, under a key derived from its SHA-256 (never from a name)."""

    sha256 = models.CharField(_("SHA-256"), max_length=64, unique=True)
    size_bytes = models.PositiveBigIntegerField(_("size (bytes)"))
    storage_key = models.CharField(_("storage key"), max_length=200, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # Set when a disposal destroyed the file: the row stays as the record of what existed.
    purged_at = models.DateTimeField(_("purged at"), null=True, blank=True)

    class Meta:
        verbose_name = _("stored file")
        verbose_name_plural = _("stored files")

    def __str__(self) -> str:
        return self.sha256


class Binder(models.Model):
    """A 簿冊: the records of one 課 for one fiscal year, kept for a retention period."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")
        DISPOSED = "disposed", _("Disposed")

    unit = models.ForeignKey(
        OrgUnit, verbose_name=_("division"), on_delete=models.PROTECT, related_name="binders"
    )
    fiscal_year = models.PositiveSmallIntegerField(_("fiscal year"))
    title = models.CharField(_("title"), max_length=200)
    retention = models.PositiveSmallIntegerField(_("retention period"), choices=Retention.choices)
    classification = models.CharField(
        _("classification"),
        max_length=20,
        choices=Classification.choices,
        default=Classification.INTERNAL,
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.OPEN
    )
    # A binder normally closes with its fiscal year; one kept open longer closes later, and its
    # retention then counts from the fiscal year of that closing.
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    # The last day of retention; null for 永年. Computed by the services (see retention.py).
    disposal_on = models.DateField(_("disposal date"), null=True, blank=True)
    is_legal_hold = models.BooleanField(_("legal hold"), default=False)
    legal_hold_reason = models.CharField(_("legal hold reason"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["unit", "-fiscal_year", "title", "id"]
        verbose_name = _("binder")
        verbose_name_plural = _("binders")
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "fiscal_year", "title"], name="documents_binder_unique_title"
            ),
            models.CheckConstraint(
                condition=Q(retention__in=[0, 1, 3, 5, 10, 30]),
                name="documents_binder_retention_valid",
            ),
            models.CheckConstraint(
                condition=Q(retention=0, disposal_on__isnull=True) | ~Q(retention=0),
                name="documents_binder_permanent_never_disposed",
            ),
        ]
        indexes = [models.Index(fields=["unit", "disposal_on"])]
        permissions = [
            ("set_legal_hold", _("Can place or lift a legal hold on a binder")),
            ("transfer_binder", _("Can export a binder for transfer to the archives")),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.fiscal_year})"

    @property
    def is_permanent(self) -> bool:
        return self.retention == Retention.PERMANENT


class Document(models.Model):
    """A record: title, owning 課, classification, binder, and its current version."""

    title = models.CharField(_("title"), max_length=200)
    unit = models.ForeignKey(
        OrgUnit, verbose_name=_("division"), on_delete=models.PROTECT, related_name="documents"
    )
    classification = models.CharField(
        _("classification"),
        max_length=20,
        choices=Classification.choices,
        default=Classification.INTERNAL,
    )
    binder = models.ForeignKey(
        Binder,
        verbose_name=_("binder"),
        on_delete=models.PROTECT,
        related_name="documents",
        null=True,
        blank=True,
    )
    fiscal_year = models.PositiveSmallIntegerField(_("fiscal year"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    current_version = models.ForeignKey(
        "DocumentVersion",
        verbose_name=_("current version"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    disposed_at = models.DateTimeField(_("disposed at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        indexes = [models.Index(fields=["unit", "classification"])]

    def __str__(self) -> str:
        return self.title


class DocumentVersion(models.Model):
    """One immutable version. Rows are written once; extraction lives in ``TextExtraction``."""

    document = models.ForeignKey(
        Document, verbose_name=_("document"), on_delete=models.PROTECT, related_name="versions"
    )
    number = models.PositiveIntegerField(_("version"))
    blob = models.ForeignKey(
        Blob, verbose_name=_("stored file"), on_delete=models.PROTECT, related_name="versions"
    )
    # Metadata only, sanitised for display; never part of a storage path.
    original_name = models.CharField(_("file name"), max_length=255)
    size_bytes = models.PositiveBigIntegerField(_("size (bytes)"))
    content_type = models.CharField(_("content type"), max_length=120)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        ordering = ["document", "number"]
        verbose_name = _("document version")
        verbose_name_plural = _("document versions")
        constraints = [
            models.UniqueConstraint(
                fields=["document", "number"], name="documents_version_number_unique"
            ),
            models.CheckConstraint(condition=Q(number__gte=1), name="documents_version_from_1"),
        ]

    def __str__(self) -> str:
        return f"{self.document_id} v{self.number}"


class TextExtraction(models.Model):
    """The text extracted from one version (NFKC), and the state of the background task."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    version = models.OneToOneField(
        DocumentVersion,
        verbose_name=_("document version"),
        on_delete=models.CASCADE,
        related_name="extraction",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    text = models.TextField(_("text"), blank=True)
    is_truncated = models.BooleanField(_("truncated"), default=False)
    error = models.CharField(_("error"), max_length=500, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("text extraction")
        verbose_name_plural = _("text extractions")

    def __str__(self) -> str:
        return f"{self.version} {self.status}"


class FiledProposal(models.Model):
    """A decided proposal filed into a binder; the proposal itself stays in the workflow app."""

    binder = models.ForeignKey(
        Binder, verbose_name=_("binder"), on_delete=models.PROTECT, related_name="proposals"
    )
    proposal_id = models.PositiveBigIntegerField(_("proposal"), unique=True)
    # What the proposal was when it was filed, so the binder reads on its own for decades.
    document_number = models.CharField(_("document number"), max_length=50, blank=True)
    title = models.CharField(_("title"), max_length=200)
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("filed by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    filed_at = models.DateTimeField(_("filed at"), auto_now_add=True)

    class Meta:
        ordering = ["binder", "filed_at", "id"]
        verbose_name = _("filed proposal")
        verbose_name_plural = _("filed proposals")

    def __str__(self) -> str:
        return self.document_number or self.title


class DisposalRecord(models.Model):
    """What was destroyed, when, by whom and on whose approval; kept forever (never deleted)."""

    binder = models.ForeignKey(
        Binder, verbose_name=_("binder"), on_delete=models.PROTECT, related_name="disposals"
    )
    approval_reference = models.CharField(_("approval reference"), max_length=100)
    approved_by = models.JSONField(_("approved by"), default=list)
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    disposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("disposed by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    disposed_at = models.DateTimeField(_("disposed at"))
    # Snapshot of the binder and each version destroyed (title, name, SHA-256, size).
    binder_snapshot = models.JSONField(_("binder"), default=dict)
    items = models.JSONField(_("items"), default=list)

    class Meta:
        ordering = ["-disposed_at", "-id"]
        verbose_name = _("disposal record")
        verbose_name_plural = _("disposal records")

    def __str__(self) -> str:
        return f"{self.binder_snapshot.get('title', self.binder_id)} {self.disposed_at:%Y-%m-%d}"


class RegisterEntry(models.Model):
    """One line of the 収受 (incoming) or 発送 (outgoing) register of a 課 for a fiscal year."""

    class Kind(models.TextChoices):
        INCOMING = "incoming", _("Incoming (収受)")
        OUTGOING = "outgoing", _("Outgoing (発送)")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    unit = models.ForeignKey(
        OrgUnit, verbose_name=_("division"), on_delete=models.PROTECT, related_name="+"
    )
    fiscal_year = models.PositiveSmallIntegerField(_("fiscal year"))
    number = models.PositiveIntegerField(_("number"))
    on = models.DateField(_("date"))
    # The sender (収受) or the addressee (発送).
    counterpart = models.CharField(_("sender or addressee"), max_length=200)
    subject = models.CharField(_("subject"), max_length=200)
    document = models.ForeignKey(
        Document,
        verbose_name=_("document"),
        on_delete=models.PROTECT,
        related_name="register_entries",
        null=True,
        blank=True,
    )
    # 発送 only: the decided proposal being issued (施行), by id (validated when possible).
    proposal_id = models.PositiveBigIntegerField(_("proposal"), null=True, blank=True)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("registered by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    registered_at = models.DateTimeField(_("registered at"), auto_now_add=True)

    class Meta:
        ordering = ["kind", "unit", "-fiscal_year", "-number"]
        verbose_name = _("register entry")
        verbose_name_plural = _("register entries")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "unit", "fiscal_year", "number"],
                name="documents_register_number_unique",
            ),
            models.CheckConstraint(
                condition=Q(kind="outgoing") | Q(proposal_id__isnull=True),
                name="documents_register_proposal_outgoing_only",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.fiscal_year}-{self.number}"


class RegisterCounter(models.Model):
    """The last number given per register, 課 and fiscal year (locked while numbering)."""

    kind = models.CharField(_("kind"), max_length=10, choices=RegisterEntry.Kind.choices)
    unit = models.ForeignKey(
        OrgUnit, verbose_name=_("division"), on_delete=models.PROTECT, related_name="+"
    )
    fiscal_year = models.PositiveSmallIntegerField(_("fiscal year"))
    last_number = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("register counter")
        verbose_name_plural = _("register counters")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "unit", "fiscal_year"], name="documents_register_counter_unique"
            ),
            models.CheckConstraint(
                condition=Q(last_number__gte=0), name="documents_register_counter_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.unit_id} {self.fiscal_year}: {self.last_number}"
