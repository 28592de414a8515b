"""The org chart (部 > 課 > 係), people, positions and ranks, posts (兼務), absences, delegations.

Units and people come from the city directory (``sync_directory``) or, for people outside it
(councilors, a break-glass administrator), from local accounts. Nothing is ever deleted: a person
who left is deactivated and keeps their history.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class Source(models.TextChoices):
    DIRECTORY = "directory", _("Directory (LDAP)")
    LOCAL = "local", _("Local account")


class OrgUnit(models.Model):
    class Level(models.IntegerChoices):
        # Values are the depth below the city: 部 (and 局) = 1, 課 (and 室) = 2, 係 = 3.
        DEPARTMENT = 1, _("Department (部/局)")
        DIVISION = 2, _("Division (課/室)")
        SECTION = 3, _("Section (係)")

    name = models.CharField(_("name"), max_length=100)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent unit"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices)
    # The directory's identity of the unit (its DN) and its name there (the ``ou`` value that
    # people's ``departmentNumber`` refers to).
    dn = models.CharField(_("directory DN"), max_length=500, blank=True)
    code = models.CharField(_("directory code"), max_length=100, blank=True)
    source = models.CharField(
        _("source"), max_length=20, choices=Source.choices, default=Source.LOCAL
    )
    # Only meaningful for a 課: the prefix of its document numbers (交財第12号).
    doc_number_prefix = models.CharField(
        _("document number prefix"),
        max_length=20,
        blank=True,
        help_text=_("Empty: 交 followed by the first character of the division's name."),
    )
    sort_order = models.PositiveIntegerField(_("sort order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["level", "sort_order", "name"]
        verbose_name = _("org unit")
        verbose_name_plural = _("org units")
        constraints = [
            models.UniqueConstraint(
                fields=["dn"], condition=~Q(dn=""), name="directory_orgunit_dn_unique"
            ),
            models.CheckConstraint(
                condition=Q(parent__isnull=True) | ~Q(parent=F("id")),
                name="directory_orgunit_not_own_parent",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def effective_doc_number_prefix(self) -> str:
        return self.doc_number_prefix or f"交{self.name[:1]}"


class Position(models.Model):
    """A title (職名) and its rank; the table is editable by administrators."""

    title = models.CharField(_("title"), max_length=100, unique=True)
    rank = models.PositiveSmallIntegerField(_("rank"), default=0)

    class Meta:
        ordering = ["-rank", "title"]
        verbose_name = _("position")
        verbose_name_plural = _("positions")

    def __str__(self) -> str:
        return f"{self.title} ({self.rank})"


# Ranks at or above this make a member eligible as head of their unit (係長).
HEAD_MIN_RANK = 40


class Person(models.Model):
    class Kind(models.TextChoices):
        STAFF = "staff", _("Staff")
        COUNCILOR = "councilor", _("Councilor")
        ADMIN = "admin", _("Administrator")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user account"),
        on_delete=models.PROTECT,
        related_name="person",
    )
    display_name = models.CharField(_("name"), max_length=150)
    email = models.EmailField(_("e-mail"), blank=True)
    employee_number = models.CharField(_("staff number"), max_length=50, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.STAFF)
    source = models.CharField(
        _("source"), max_length=20, choices=Source.choices, default=Source.LOCAL
    )
    dn = models.CharField(_("directory DN"), max_length=500, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    left_at = models.DateTimeField(_("left at"), null=True, blank=True)

    class Meta:
        ordering = ["display_name"]
        verbose_name = _("person")
        verbose_name_plural = _("people")

    def __str__(self) -> str:
        return self.display_name

    @property
    def username(self) -> str:
        return self.user.get_username()


class Assignment(models.Model):
    """A post: a person in a unit with a position. One primary post; others are 兼務."""

    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.CASCADE, related_name="assignments"
    )
    unit = models.ForeignKey(
        OrgUnit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="assignments"
    )
    position = models.ForeignKey(
        Position,
        verbose_name=_("position"),
        on_delete=models.PROTECT,
        related_name="assignments",
    )
    is_primary = models.BooleanField(_("primary post"), default=True)
    # Posts from the directory are rewritten by each sync; manual ones (兼務 entered by an
    # administrator) are left alone.
    source = models.CharField(
        _("source"), max_length=20, choices=Source.choices, default=Source.LOCAL
    )

    class Meta:
        ordering = ["-is_primary", "id"]
        verbose_name = _("post")
        verbose_name_plural = _("posts")
        constraints = [
            models.UniqueConstraint(
                fields=["person"],
                condition=Q(is_primary=True),
                name="directory_one_primary_post",
            ),
            models.UniqueConstraint(
                fields=["person", "unit", "position"], name="directory_post_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} — {self.unit} {self.position.title}"


class Absence(models.Model):
    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.CASCADE, related_name="absences"
    )
    start_at = models.DateTimeField(_("from"))
    end_at = models.DateTimeField(_("until"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    # The delegation (代決) the absence set up, if a deputy was named: it covers the period.
    delegation = models.OneToOneField(
        "directory.Delegation",
        verbose_name=_("delegation"),
        on_delete=models.SET_NULL,
        related_name="absence",
        null=True,
        blank=True,
    )
    registered_by = models.ForeignKey(
        Person,
        verbose_name=_("registered by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )

    class Meta:
        ordering = ["-start_at"]
        verbose_name = _("absence")
        verbose_name_plural = _("absences")
        constraints = [
            models.CheckConstraint(
                condition=Q(end_at__gt=F("start_at")), name="directory_absence_period"
            )
        ]

    def __str__(self) -> str:
        return f"{self.person} {self.start_at:%Y-%m-%d}–{self.end_at:%Y-%m-%d}"


class Delegation(models.Model):
    """The principal names a deputy who may act for them (代決) during a period."""

    principal = models.ForeignKey(
        Person,
        verbose_name=_("principal"),
        on_delete=models.PROTECT,
        related_name="delegations_given",
    )
    deputy = models.ForeignKey(
        Person,
        verbose_name=_("deputy"),
        on_delete=models.PROTECT,
        related_name="delegations_received",
    )
    start_at = models.DateTimeField(_("from"))
    end_at = models.DateTimeField(_("until"))
    is_revoked = models.BooleanField(_("revoked"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-start_at"]
        verbose_name = _("delegation")
        verbose_name_plural = _("delegations")
        constraints = [
            models.CheckConstraint(
                condition=Q(end_at__gt=F("start_at")), name="directory_delegation_period"
            ),
            models.CheckConstraint(
                condition=~Q(principal=F("deputy")), name="directory_delegation_not_self"
            ),
        ]
        indexes = [models.Index(fields=["deputy", "start_at", "end_at"])]

    def __str__(self) -> str:
        return f"{self.principal} → {self.deputy}"


# isort: split
from directory.notification_models import Notification  # noqa: E402, F401

# isort: split
from directory.reorg_models import Reorganisation, ReorgLine  # noqa: E402, F401
