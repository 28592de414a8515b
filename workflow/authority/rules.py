"""Reading the authority table (専決規程): which rule set is in force, the final level of a
proposal and the units it must be consulted with (合議). Also the one write on rule sets: copying
the current version as a new one (in-force versions are never edited in place).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, timedelta

from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from audit import services as audit
from audit.exceptions import PermissionRefused, ValidationFailed
from audit.transactions import atomic_service
from workflow.authority.models import (
    AmountRange,
    ApprovalLevel,
    AuthorityRule,
    AuthorityRuleSet,
    Category,
    ConsultationRule,
)


class RuleNotFound(ValidationFailed):
    """No rule set is in force on the date, or the rule set has no (or no single) rule."""


def ruleset_in_force(*, on: date) -> AuthorityRuleSet:
    """The rule set with the latest ``effective_on`` on or before ``on``; raises RuleNotFound."""
    ruleset = (
        AuthorityRuleSet.objects.filter(effective_on__lte=on).order_by("-effective_on").first()
    )
    if ruleset is None:
        raise RuleNotFound(
            _("No authority rules are in force on %(date)s.") % {"date": on.isoformat()}
        )
    return ruleset


def category_get(*, code: str | Category) -> Category:
    """The category with this code; raises ValidationFailed for an unknown one."""
    if isinstance(code, Category):
        return code
    category = Category.objects.filter(code=code).first() if isinstance(code, str) else None
    if category is None:
        raise ValidationFailed(_("Unknown category: %(code)s") % {"code": code})
    return category


def final_level_for(
    *, ruleset: AuthorityRuleSet, category: str, amount: int | None
) -> tuple[ApprovalLevel, AuthorityRule]:
    """The final level (決裁区分) and the rule that sets it.

    Raises ValidationFailed for an unknown category, a negative or non-integer amount, or a
    missing amount where the category's rules depend on it; RuleNotFound when no single rule of
    the rule set covers the amount.
    """
    cat = category_get(code=category)
    rules = list(
        AuthorityRule.objects.filter(ruleset=ruleset, category=cat).select_related("final_level")
    )
    if not rules:
        raise RuleNotFound(_no_rule_message(ruleset, cat, amount))
    value = _checked_amount(amount, category=cat, rules=rules)
    matching = [rule for rule in rules if rule.covers(value)]
    if len(matching) != 1:
        # Gaps and overlaps are an administrator's mistake; refuse rather than guess.
        raise RuleNotFound(_no_rule_message(ruleset, cat, amount))
    return matching[0].final_level, matching[0]


def consulted_units_for(
    *, ruleset: AuthorityRuleSet, category: str, amount: int | None
) -> list[tuple[str, ConsultationRule]]:
    """The units to consult (合議) by name, each with its rule, in the rule set's order.

    Raises ValidationFailed like ``final_level_for``; a category without consultations gives [].
    """
    cat = category_get(code=category)
    rules = list(
        ConsultationRule.objects.filter(ruleset=ruleset, category=cat).order_by("amount_min", "id")
    )
    value = _checked_amount(amount, category=cat, rules=rules)
    found: dict[str, ConsultationRule] = {}
    for rule in rules:
        if rule.covers(value) and rule.unit_name not in found:
            found[rule.unit_name] = rule
    return list(found.items())


def _checked_amount(amount: object, *, category: Category, rules: Iterable[AmountRange]) -> int:
    """The amount to match rules against: a missing amount is 0 when no rule depends on it."""
    if amount is None:
        if any(rule.depends_on_amount for rule in rules):
            raise ValidationFailed(
                _("An amount is required for the category %(category)s.")
                % {"category": category.name}
            )
        return 0
    # bool is an int subclass; True yen is a client bug, not an amount.
    if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
        raise ValidationFailed(_("The amount must be a whole number of yen, zero or more."))
    return amount


def _no_rule_message(ruleset: AuthorityRuleSet, category: Category, amount: int | None) -> str:
    return _(
        "Authority rules v%(version)s have no single rule for %(category)s at %(amount)s yen."
    ) % {
        "version": ruleset.version,
        "category": category.name,
        "amount": "—" if amount is None else f"{amount:,}",
    }


def yen(amount: int) -> str:
    return _("%(amount)s yen") % {"amount": f"{amount:,}"}


def describe_range(*, category: Category, row: AmountRange) -> str:
    """The condition of a rule in words, e.g. 支出 1,000,000円以上10,000,000円未満."""
    values = {"category": category.name, "min": f"{row.amount_min:,}"}
    if row.amount_max is not None:
        values["max"] = f"{row.amount_max:,}"
    if not row.depends_on_amount:
        return category.name
    if row.amount_max is None:
        return _("%(category)s %(min)s yen or more") % values
    if row.amount_min == 0:
        return _("%(category)s under %(max)s yen") % values
    return _("%(category)s %(min)s yen or more and under %(max)s yen") % values


def describe_consultation(*, category: Category, rule: ConsultationRule) -> str:
    """Why a unit is consulted, e.g. 支出 10,000,000円以上 or 契約は常時."""
    if not rule.depends_on_amount:
        return _("%(category)s, always") % {"category": category.name}
    return describe_range(category=category, row=rule)


# --- editing rule sets ------------------------------------------------------------------------


def ruleset_is_locked(*, ruleset: AuthorityRuleSet, today: date | None = None) -> bool:
    """True once the rule set's date has arrived: proposals may have been submitted under it."""
    return ruleset.effective_on <= (today or timezone.localdate())


@atomic_service
def ruleset_copy(
    *, actor, source: AuthorityRuleSet, effective_on: date | None = None, note: str = ""
) -> AuthorityRuleSet:
    """Copy a rule set and all its rules as the next version, to be edited before its date.

    ``effective_on`` defaults to the day after both today and the latest rule set's date.
    Raises PermissionRefused without the add permission, ValidationFailed for a date that is
    not in the future or already taken.
    """
    if not actor.has_perm("workflow.add_authorityruleset"):
        raise PermissionRefused(_("You may not create authority rule sets."))
    today = timezone.localdate()
    latest = AuthorityRuleSet.objects.aggregate(
        version=Max("version"), effective_on=Max("effective_on")
    )
    if effective_on is None:
        effective_on = max(today, latest["effective_on"] or today) + timedelta(days=1)
    if effective_on <= today:
        raise ValidationFailed(_("A new rule set must take effect after today."))
    if AuthorityRuleSet.objects.filter(effective_on=effective_on).exists():
        raise ValidationFailed(
            _("Another rule set already takes effect on %(date)s.")
            % {"date": effective_on.isoformat()}
        )
    copy = AuthorityRuleSet.objects.create(
        version=(latest["version"] or 0) + 1,
        effective_on=effective_on,
        note=note or _("Copy of v%(version)s") % {"version": source.version},
    )
    AuthorityRule.objects.bulk_create(
        AuthorityRule(
            ruleset=copy,
            category_id=rule.category_id,
            amount_min=rule.amount_min,
            amount_max=rule.amount_max,
            final_level_id=rule.final_level_id,
        )
        for rule in source.authority_rules.all()
    )
    ConsultationRule.objects.bulk_create(
        ConsultationRule(
            ruleset=copy,
            category_id=rule.category_id,
            amount_min=rule.amount_min,
            amount_max=rule.amount_max,
            unit_name=rule.unit_name,
        )
        for rule in source.consultation_rules.all()
    )
    audit.record(
        action="workflow.ruleset_copied",
        actor=actor,
        target=copy,
        details={
            "source_version": source.version,
            "version": copy.version,
            "effective_on": copy.effective_on.isoformat(),
        },
    )
    return copy


def range_problems(
    *, rows: Iterable[AmountRange], key: Callable[[AmountRange], object], complete: bool
) -> list[str]:
    """What is wrong with a set of amount ranges grouped by ``key`` (for admin validation).

    Ranges of one group must not overlap; with ``complete`` they must also cover every amount
    from 0 upwards without a gap, so that each proposal has exactly one final level.
    """
    groups: dict[object, list[AmountRange]] = {}
    for row in rows:
        groups.setdefault(key(row), []).append(row)
    problems: list[str] = []
    for label, group in groups.items():
        group.sort(key=lambda r: r.amount_min)
        expected: int | None = 0
        for row in group:
            if expected is None or row.amount_min < expected:
                problems.append(_("%(what)s: amount ranges overlap.") % {"what": label})
                break
            if complete and row.amount_min > expected:
                problems.append(
                    _("%(what)s: no rule covers %(amount)s.")
                    % {"what": label, "amount": yen(expected)}
                )
                break
            expected = row.amount_max
        else:
            if complete and expected is not None:
                problems.append(
                    _("%(what)s: no rule covers %(amount)s.")
                    % {"what": label, "amount": yen(expected)}
                )
    return problems
