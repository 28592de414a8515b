"""Council materials (議会のペーパーレス化): councilors, committees, sessions, meetings, agenda
items, materials with immutable versions and their pages, read tracking, private annotations and
the presenter's position (its page turns are realtime events: persist, then publish).

Councilors are local accounts (``directory.Person`` of kind ``councilor``); the secretariat are
directory people of ``KAIRAN_COUNCIL_SECRETARIAT_UNIT`` (``permissions.py``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Committee(models.Model):
    """A standing or special committee (常任委員会 / 特別委員会), created as needed by name."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("committee")
        verbose_name_plural = _("committees")

    def __str__(self) -> str:
        return self.name


class Councilor(models.Model):
    """A councilor (議員): the council-side profile of a local ``directory.Person``."""

    class Role(models.TextChoices):
        CHAIR = "chair", _("Chair (議長)")
        VICE_CHAIR = "vice_chair", _("Vice chair (副議長)")
        MEMBER = "member", _("Councilor")

    person = models.OneToOneField(
        "directory.Person",
        verbose_name=_("person"),
        on_delete=models.PROTECT,
        related_name="councilor",
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.MEMBER)
    committees = models.ManyToManyField(
        Committee, verbose_name=_("committees"), related_name="members", blank=True
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["person__display_name"]
        verbose_name = _("councilor")
        verbose_name_plural = _("councilors")

    def __str__(self) -> str:
        return str(self.person)


class CouncilSession(models.Model):
    """A session of the council (定例会 / 臨時会) holding meetings."""

    class Kind(models.TextChoices):
        REGULAR = "regular", _("Regular session (定例会)")
        EXTRAORDINARY = "extraordinary", _("Extraordinary session (臨時会)")

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.REGULAR)
    starts_on = models.DateField(_("starts on"), null=True, blank=True)

    class Meta:
        ordering = ["-starts_on", "name"]
        verbose_name = _("council session")
        verbose_name_plural = _("council sessions")

    def __str__(self) -> str:
        return self.name


class Meeting(models.Model):
    """A plenary meeting (本会議, no committee) or a committee meeting (委員会)."""

    title = models.CharField(_("title"), max_length=200)
    session = models.ForeignKey(
        CouncilSession,
        verbose_name=_("session"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="meetings",
    )
    committee = models.ForeignKey(
        Committee,
        verbose_name=_("committee"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="meetings",
    )
    starts_at = models.DateTimeField(_("starts at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # Where the presenter is now (a late joiner lands here); each turn is also a realtime event
    # on the stream ``council.meeting.<id>``.
    presenter_material = models.ForeignKey(
        "Material", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    presenter_page = models.PositiveIntegerField(null=True, blank=True)
    presenter_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["starts_at", "id"]
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")

    def __str__(self) -> str:
        return self.title


class AgendaItem(models.Model):
    """An item of a meeting's agenda (議案第N号, 報告, 請願 …)."""

    class Kind(models.TextChoices):
        BILL = "bill", _("Bill (議案)")
        REPORT = "report", _("Report (報告)")
        PETITION = "petition", _("Petition (請願)")
        OTHER = "other", _("Other")

    meeting = models.ForeignKey(
        Meeting, verbose_name=_("meeting"), on_delete=models.CASCADE, related_name="agenda"
    )
    order = models.PositiveIntegerField(_("order"), default=0)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.OTHER)
    number = models.CharField(_("number"), max_length=50, blank=True)
    title = models.CharField(_("title"), max_length=200)

    class Meta:
        ordering = ["meeting", "order", "id"]
        verbose_name = _("agenda item")
        verbose_name_plural = _("agenda items")

    def __str__(self) -> str:
        return f"{self.number} {self.title}".strip()


class Material(models.Model):
    """A material (資料) published at ``publish_at`` to its audience; versions are 差し替え."""

    class Audience(models.TextChoices):
        ALL = "all", _("All councilors")
        COMMITTEE = "committee", _("Members of a committee")
        SECRETARIAT = "secretariat", _("Secretariat only")
        PEOPLE = "people", _("Named executives")

    meeting = models.ForeignKey(
        Meeting, verbose_name=_("meeting"), on_delete=models.PROTECT, related_name="materials"
    )
    agenda_item = models.ForeignKey(
        AgendaItem,
        verbose_name=_("agenda item"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="materials",
    )
    title = models.CharField(_("title"), max_length=200)
    audience = models.CharField(
        _("audience"), max_length=20, choices=Audience.choices, default=Audience.ALL
    )
    committee = models.ForeignKey(
        Committee,
        verbose_name=_("committee"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="materials",
    )
    # Audience ``people``: the named executives (directory staff: 市長, 部長…) who may read it.
    readers = models.ManyToManyField(
        "directory.Person",
        verbose_name=_("named readers"),
        related_name="council_materials",
        blank=True,
    )
    publish_at = models.DateTimeField(_("publish at"))
    # Set by the first request that finds the material published (notifications go out once).
    announced_at = models.DateTimeField(_("announced at"), null=True, blank=True)
    current_version = models.ForeignKey(
        "MaterialVersion",
        verbose_name=_("current version"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["meeting", "publish_at", "id"]
        verbose_name = _("material")
        verbose_name_plural = _("materials")
        constraints = [
            models.CheckConstraint(
                condition=Q(audience="committee", committee__isnull=False)
                | (~Q(audience="committee") & Q(committee__isnull=True)),
                name="council_material_committee_audience",
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def audience_label(self) -> str:
        """The API spelling: ``all``, ``committee:<name>``, ``secretariat`` or
        ``person:<username>[,person:<username>…]`` (named executives, by user name)."""
        committee = self.committee if self.committee_id else None
        if self.audience == self.Audience.COMMITTEE and committee is not None:
            return f"committee:{committee.name}"
        if self.audience == self.Audience.PEOPLE and self.pk:
            names = sorted(self.readers.values_list("user__username", flat=True))
            return ",".join(f"person:{name}" for name in names)
        return self.audience


class MaterialVersion(models.Model):
    """One immutable file of a material; a 差し替え adds the next number."""

    material = models.ForeignKey(
        Material, verbose_name=_("material"), on_delete=models.PROTECT, related_name="versions"
    )
    number = models.PositiveIntegerField(_("version"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    pdf_sha256 = models.CharField(_("SHA-256 of the PDF"), max_length=64)
    storage_key = models.CharField(_("storage key"), max_length=200)
    pdf_storage_key = models.CharField(_("storage key of the PDF"), max_length=200)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    size_bytes = models.PositiveBigIntegerField(_("size (bytes)"))
    page_count = models.PositiveIntegerField(_("pages"))
    outline = models.JSONField(_("outline"), default=list, blank=True)
    # Pages (1-based) that differ from the previous version (text or rendered image).
    changed_pages = models.JSONField(_("changed pages"), default=list, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        ordering = ["material", "number"]
        verbose_name = _("material version")
        verbose_name_plural = _("material versions")
        constraints = [
            models.UniqueConstraint(
                fields=["material", "number"], name="council_material_version_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.material} v{self.number}"


class MaterialPage(models.Model):
    """The text and a digest of one page: search, 差し替え comparison and carry-over."""

    version = models.ForeignKey(
        MaterialVersion, verbose_name=_("version"), on_delete=models.CASCADE, related_name="pages"
    )
    number = models.PositiveIntegerField(_("page"))
    text = models.TextField(_("text"), blank=True)
    # SHA-256 of the page's normalised text and of a small rendering (compared on 差し替え).
    text_digest = models.CharField(max_length=64, blank=True)
    image_digest = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["version", "number"]
        constraints = [
            models.UniqueConstraint(fields=["version", "number"], name="council_page_unique")
        ]

    def __str__(self) -> str:
        return f"{self.version} p{self.number}"


class PageView(models.Model):
    """A councilor (or anyone) opened page ``number`` of a material: 既読 counts read these."""

    material = models.ForeignKey(Material, on_delete=models.CASCADE, related_name="page_views")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    number = models.PositiveIntegerField(_("page"))
    first_viewed_at = models.DateTimeField(auto_now_add=True)
    last_viewed_at = models.DateTimeField(auto_now=True)
    views = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["material", "user", "number"], name="council_page_view_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.material_id} p{self.number} ({self.user_id})"


class Annotation(models.Model):
    """One person's private ink, notes and bookmark on one page of one version.

    Never shown to anyone but ``owner`` (selectors filter by owner; everyone else gets 404).
    On 差し替え the annotation is copied to the matching page of the new version (``carried_from``);
    one that could not be placed is kept with ``page`` None and ``is_unplaced`` set.
    """

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="council_annotations"
    )
    material = models.ForeignKey(Material, on_delete=models.CASCADE, related_name="annotations")
    version = models.ForeignKey(
        MaterialVersion, on_delete=models.CASCADE, related_name="annotations"
    )
    page = models.PositiveIntegerField(_("page"), null=True, blank=True)
    original_page = models.PositiveIntegerField(_("original page"), null=True, blank=True)
    data = models.JSONField(_("content"), default=dict)
    is_unplaced = models.BooleanField(_("could not be placed"), default=False)
    carried_from = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The client's clock of the write (offline edits): the later write of a page wins.
    client_updated_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["material", "version", "page", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "version", "page"],
                condition=Q(page__isnull=False),
                name="council_annotation_one_per_page",
            )
        ]

    def __str__(self) -> str:
        return f"annotation {self.pk}"
