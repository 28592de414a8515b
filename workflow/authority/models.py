"""The authority table (専決規程) as data: approval levels, categories and versioned rule sets.

A rule set is in force from its ``effective_on`` date until the next one starts. A proposal keeps
the rule set it was submitted under, so a rule set whose date has arrived is never edited in place:
administrators copy it as a new version with a later date (see ``workflow/README.md``).
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from directory.models import OrgUnit


class ApprovalLevel(models.Model):
    """A rung of the route (係長, 課長, 部長, 副市長, 市長) and how its holder is found.

    Either ``unit_level`` (the head of the drafter's own unit at that depth: 3 係, 2 課, 1 部/局)
    or ``title`` (the holder of that title wherever they sit). Routes climb by ``order``.
    """

    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=50)
    order = models.PositiveSmallIntegerField(
        _("order"), unique=True, help_text=_("Higher means further up the hierarchy.")
    )
    unit_level = models.PositiveSmallIntegerField(
        _("unit level"),
        choices=OrgUnit.Level.choices,
        null=True,
        blank=True,
        help_text=_("The head of the drafter's own unit at this level."),
    )
    title = models.CharField(
        _("title"),
        max_length=100,
        blank=True,
        help_text=_("The holder of this title, wherever they sit (副市長, 市長)."),
    )

    class Meta:
        ordering = ["order"]
        verbose_name = _("approval level")
        verbose_name_plural = _("approval levels")
        constraints = [
            # Exactly one way of finding the holder.
            models.CheckConstraint(
                condition=(Q(unit_level__isnull=False) & Q(title=""))
                | (Q(unit_level__isnull=True) & ~Q(title="")),
                name="workflow_level_unit_xor_title",
            ),
            models.CheckConstraint(
                condition=Q(unit_level__isnull=True) | Q(unit_level__in=[1, 2, 3]),
                name="workflow_level_unit_level_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Category(models.Model):
    """A kind of proposal (支出, 契約, 例規...); the authority table is keyed by it."""

    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=50)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("proposal category")
        verbose_name_plural = _("proposal categories")

    def __str__(self) -> str:
        return self.name


class AuthorityRuleSet(models.Model):
    """One version of the authority table; in force from ``effective_on`` until the next."""

    version = models.PositiveIntegerField(_("version"), unique=True)
    effective_on = models.DateField(_("effective on"), unique=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-effective_on"]
        verbose_name = _("authority rule set")
        verbose_name_plural = _("authority rule sets")
        constraints = [
            models.CheckConstraint(condition=Q(version__gte=1), name="workflow_ruleset_version_1")
        ]

    def __str__(self) -> str:
        return f"v{self.version} ({self.effective_on.isoformat()})"


class AmountRange(models.Model):
    """``amount_min`` ≤ amount < ``amount_max`` in yen; an empty maximum means no upper bound."""

    amount_min = models.PositiveBigIntegerField(_("from (yen, inclusive)"), default=0)
    amount_max = models.PositiveBigIntegerField(
        _("below (yen, exclusive)"), null=True, blank=True, help_text=_("Empty: no upper bound.")
    )

    class Meta:
        abstract = True

    @property
    def depends_on_amount(self) -> bool:
        return self.amount_min > 0 or self.amount_max is not None

    def covers(self, amount: int) -> bool:
        return self.amount_min <= amount and (self.amount_max is None or amount < self.amount_max)


def _range_text(row: AmountRange) -> str:
    upper = "∞" if row.amount_max is None else f"{row.amount_max:,}"
    return f"{row.amount_min:,}–{upper}"


class AuthorityRule(AmountRange):
    """Category × amount range → the final level (決裁区分)."""

    ruleset = models.ForeignKey(
        AuthorityRuleSet,
        verbose_name=_("rule set"),
        on_delete=models.CASCADE,
        related_name="authority_rules",
    )
    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="+"
    )
    final_level = models.ForeignKey(
        ApprovalLevel, verbose_name=_("final level"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["ruleset", "category__sort_order", "amount_min"]
        verbose_name = _("authority rule")
        verbose_name_plural = _("authority rules")
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_max__isnull=True) | Q(amount_max__gt=F("amount_min")),
                name="workflow_authority_rule_range",
            ),
            models.UniqueConstraint(
                fields=["ruleset", "category", "amount_min"],
                name="workflow_authority_rule_unique_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.category}: {_range_text(self)} → {self.final_level}"


class ConsultationRule(AmountRange):
    """Category × amount range → a unit to consult (合議), named as in the org chart."""

    ruleset = models.ForeignKey(
        AuthorityRuleSet,
        verbose_name=_("rule set"),
        on_delete=models.CASCADE,
        related_name="consultation_rules",
    )
    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="+"
    )
    # A name rather than a foreign key: units come and go with each directory sync and
    # reorganisation, while a rule set written for next April must name units that may not
    # exist yet.
    unit_name = models.CharField(
        _("consulted unit"),
        max_length=100,
        help_text=_("Matched against the names of active org units, e.g. 財政課."),
    )

    class Meta:
        ordering = ["ruleset", "category__sort_order", "amount_min", "unit_name"]
        verbose_name = _("consultation rule")
        verbose_name_plural = _("consultation rules")
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_max__isnull=True) | Q(amount_max__gt=F("amount_min")),
                name="workflow_consultation_rule_range",
            ),
            models.UniqueConstraint(
                fields=["ruleset", "category", "unit_name", "amount_min"],
                name="workflow_consultation_rule_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.category}: {_range_text(self)} → {self.unit_name}"
