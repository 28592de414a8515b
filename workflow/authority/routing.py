"""Route building (回議): who approves a proposal, in which order, and why.

``build_route`` is a pure read of the authority table and the org chart (no writes, no audit):
the heads of the drafter's own units going up from the primary post (係, 課, 部/局), then the
title levels (副市長, 市長), stopping at the final level of the rule in force; one parallel
consultation step (合議) immediately before the decider. Every step says why it is there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import cast

from django.utils.translation import gettext as _

from audit.exceptions import ValidationFailed
from directory.models import OrgUnit, Person
from directory.selectors import (
    person_posts,
    person_primary_post,
    persons_with_title,
    unit_ancestors,
    unit_head,
)
from workflow.authority import rules
from workflow.authority.models import (
    ApprovalLevel,
    AuthorityRule,
    AuthorityRuleSet,
    Category,
    ConsultationRule,
)

KIND_APPROVE = "approve"
KIND_CONSULT = "consult"
KIND_DECIDE = "decide"

# Why a level has no approver for this drafter.
_DRAFTER = "drafter"  # the holder is the drafter
_VACANT = "vacant"  # the unit or title exists but nobody holds it
_NO_UNIT = "no_unit"  # the drafter's chain has no unit at that level (e.g. no 係 above a 課長補佐)


@dataclass(frozen=True)
class RouteStep:
    """One step; consult steps share one ``order`` (they run in parallel)."""

    order: int
    kind: str  # "approve" | "consult" | "decide"
    approver: Person
    unit: OrgUnit
    position: str
    reason: str
    is_optional: bool = False
    level_code: str = ""  # the approval level of a required approve/decide step


@dataclass(frozen=True)
class Route:
    """A computed route with the rule set it was computed under and the notes behind it."""

    steps: tuple[RouteStep, ...]
    ruleset_id: int
    ruleset_version: int
    ruleset_effective_on: date
    category: str
    amount: int | None
    final_level_code: str  # the 決裁区分 of the rule
    decider_level_code: str  # the level that actually decides (higher when escalated)
    explanations: tuple[str, ...]

    @property
    def decider(self) -> RouteStep:
        return self.steps[-1]

    @property
    def approvers(self) -> list[Person]:
        return [step.approver for step in self.steps]

    def steps_at(self, order: int) -> list[RouteStep]:
        return [step for step in self.steps if step.order == order]


@dataclass(frozen=True)
class _Seat:
    """A level resolved for one drafter: its holder, or why there is none."""

    level: ApprovalLevel
    person: Person | None
    unit: OrgUnit | None
    position: str
    missing: str = ""


def build_route(
    *,
    drafter: Person,
    category: str,
    amount: int | None,
    on: date,
    extra_approvers: Sequence[Person] = (),
    extra_consultees: Sequence[Person] = (),
) -> Route:
    """The route of a proposal drafted by ``drafter`` under the rule set in force ``on``.

    Raises ValidationFailed (400) for an unknown category, a bad or missing amount, a drafter
    without a post, a drafter added as an extra, or when nobody at or above the final level can
    decide; RuleNotFound (a ValidationFailed) when no rule set or rule applies.
    """
    ruleset = rules.ruleset_in_force(on=on)
    final_level, authority_rule = rules.final_level_for(
        ruleset=ruleset, category=category, amount=amount
    )
    consultations = rules.consulted_units_for(ruleset=ruleset, category=category, amount=amount)
    cat = rules.category_get(code=category)
    post = person_primary_post(drafter)
    if post is None:
        raise ValidationFailed(_("The drafter has no post in the directory."))
    chain = unit_ancestors(post.unit)
    notes = [
        _("Rules v%(version)s (effective %(effective_on)s): %(condition)s → %(level)s decision")
        % {
            **_rule_values(ruleset),
            "condition": rules.describe_range(category=cat, row=authority_rule),
            "level": final_level.name,
        }
    ]

    approvals, decider, passed_over = _resolve_levels(
        final_level=final_level, chain=chain, drafter=drafter, notes=notes
    )
    approvals = _without_repeats(approvals, decider, notes)
    on_route = {seat.person.pk for seat in (*approvals, decider) if seat.person}

    steps = [_approve_step(seat, final_level=final_level) for seat in approvals]
    # Required consultations before the drafter's extras, so that an extra can never take the
    # place of (and so remove) a required step.
    consult_steps = _required_consultations(
        consultations, cat=cat, drafter=drafter, on_route=on_route, notes=notes
    )
    for person in _extras(extra_approvers, drafter=drafter, on_route=on_route, notes=notes):
        unit, position = _person_post(person)
        reason = _("%(position)s: added by the drafter (optional)") % {"position": position}
        steps.append(_step(KIND_APPROVE, person, unit, position, reason, is_optional=True))
    for person in _extras(extra_consultees, drafter=drafter, on_route=on_route, notes=notes):
        unit, position = _person_post(person)
        reason = _("Consultation: %(name)s, %(unit)s (added by the drafter, optional)") % {
            "name": person.display_name,
            "unit": unit.name,
        }
        consult_steps.append(_step(KIND_CONSULT, person, unit, position, reason, is_optional=True))

    decide_reason = _decide_reason(
        decider,
        ruleset=ruleset,
        cat=cat,
        rule=authority_rule,
        final_level=final_level,
        passed_over=passed_over,
    )
    if passed_over:
        notes.append(_escalation(passed_over, decider))
    decide = _step(
        KIND_DECIDE,
        cast(Person, decider.person),
        cast(OrgUnit, decider.unit),
        decider.position,
        decide_reason,
        level_code=decider.level.code,
    )
    return Route(
        steps=_numbered(steps, consult_steps, decide),
        ruleset_id=ruleset.pk,
        ruleset_version=ruleset.version,
        ruleset_effective_on=ruleset.effective_on,
        category=cat.code,
        amount=amount,
        final_level_code=final_level.code,
        decider_level_code=decider.level.code,
        explanations=tuple(notes),
    )


# --- the chain of levels ----------------------------------------------------------------------


def _resolve_levels(
    *, final_level: ApprovalLevel, chain: list[OrgUnit], drafter: Person, notes: list[str]
) -> tuple[list[_Seat], _Seat, list[_Seat]]:
    """Approvers below the final level, the decider, and the levels passed over to reach it."""
    approvals: list[_Seat] = []
    passed_over: list[_Seat] = []
    for level in ApprovalLevel.objects.order_by("order"):
        seat = _seat(level, chain=chain, drafter=drafter)
        if level.order >= final_level.order:
            if seat.person is not None:
                return approvals, seat, passed_over
            # The final level is the drafter or vacant: the decision goes to the next level up.
            passed_over.append(seat)
        elif seat.person is not None:
            approvals.append(seat)
        elif seat.missing != _NO_UNIT:
            notes.append(_skip_note(seat))
    raise ValidationFailed(_("No one above the drafter can decide this proposal."))


def _seat(level: ApprovalLevel, *, chain: list[OrgUnit], drafter: Person) -> _Seat:
    if level.unit_level is not None:
        unit = next((u for u in chain if u.level == level.unit_level), None)
        if unit is None:
            return _Seat(level, None, None, "", _NO_UNIT)
        head = unit_head(unit)
        if head is None:
            return _Seat(level, None, unit, "", _VACANT)
        position = _title_in(head, unit)
    else:
        # Several holders of one title (two 副市長): the first by id until a 担任 table exists.
        head = persons_with_title(level.title).first()
        if head is None:
            return _Seat(level, None, None, "", _VACANT)
        post = next((p for p in person_posts(head) if p.position.title == level.title), None)
        unit, position = (post.unit, level.title) if post else _person_post(head)
    if head.pk == drafter.pk:
        return _Seat(level, None, unit, position, _DRAFTER)
    return _Seat(level, head, unit, position)


def _title_in(person: Person, unit: OrgUnit) -> str:
    """The person's highest title in that unit (局長 for a 局, 課長補佐 heading a 課...)."""
    posts = [p for p in person_posts(person) if p.unit_id == unit.pk]
    return max(posts, key=lambda p: p.position.rank).position.title if posts else ""


def _person_post(person: Person) -> tuple[OrgUnit, str]:
    post = person_primary_post(person) or next(iter(person_posts(person)), None)
    if post is None:
        raise ValidationFailed(
            _("%(name)s has no post in the directory and cannot be on a route.")
            % {"name": person.display_name}
        )
    return post.unit, post.position.title


def _without_repeats(approvals: list[_Seat], decider: _Seat, notes: list[str]) -> list[_Seat]:
    """Drop a step whose approver also holds a later one (兼務 係長 and 課長): keep the higher."""
    kept: list[_Seat] = []
    seats = [*approvals, decider]
    for index, seat in enumerate(approvals):
        higher = next((s for s in seats[index + 1 :] if s.person == seat.person), None)
        if higher is None:
            kept.append(seat)
            continue
        notes.append(
            _("%(name)s also serves as %(higher)s, so the %(lower)s step is omitted")
            % {
                "name": seat.person.display_name if seat.person else "",
                "higher": higher.level.name,
                "lower": seat.level.name,
            }
        )
    return kept


# --- consultations and extras -----------------------------------------------------------------


def _required_consultations(
    consultations: list[tuple[str, ConsultationRule]],
    *,
    cat: Category,
    drafter: Person,
    on_route: set[int],
    notes: list[str],
) -> list[RouteStep]:
    """Consult steps for the rule's units; adds their heads to ``on_route``."""
    own_units = {u.pk for post in person_posts(drafter) for u in unit_ancestors(post.unit)}
    steps: list[RouteStep] = []
    for unit_name, rule in consultations:
        values = {"unit": unit_name}
        unit = _unit_named(unit_name)
        if unit is None:
            notes.append(
                _("Consultation with %(unit)s skipped: no active unit has that name") % values
            )
            continue
        if unit.pk in own_units:
            notes.append(
                _("Consultation with %(unit)s omitted: the drafter belongs to it") % values
            )
            continue
        head = unit_head(unit)
        if head is None:
            notes.append(_("Consultation with %(unit)s skipped: the unit has no head") % values)
            continue
        if head.pk in on_route or head.pk == drafter.pk:
            notes.append(
                _("Consultation with %(unit)s omitted: its head %(name)s is already on the route")
                % {**values, "name": head.display_name}
            )
            continue
        on_route.add(head.pk)
        reason = _("Consultation: %(unit)s (%(condition)s)") % {
            **values,
            "condition": rules.describe_consultation(category=cat, rule=rule),
        }
        steps.append(_step(KIND_CONSULT, head, unit, _title_in(head, unit), reason))
    return steps


def _unit_named(name: str) -> OrgUnit | None:
    # Names are unique in practice; should two active units share one, the higher one wins.
    return (
        OrgUnit.objects.filter(name=name, is_active=True)
        .order_by("level", "sort_order", "id")
        .first()
    )


def _extras(
    people: Sequence[Person], *, drafter: Person, on_route: set[int], notes: list[str]
) -> list[Person]:
    """The drafter's optional additions, minus anyone already on the route (noted, not added)."""
    added: list[Person] = []
    for person in people:
        if person.pk == drafter.pk:
            raise ValidationFailed(_("The drafter cannot be added to their own route."))
        if not person.is_active:
            raise ValidationFailed(
                _("%(name)s is not active and cannot be on a route.")
                % {"name": person.display_name}
            )
        if person.pk in on_route:
            notes.append(
                _("%(name)s is already on the route and was not added again")
                % {"name": person.display_name}
            )
            continue
        _person_post(person)  # refuses people without a post (councilors, administrators)
        on_route.add(person.pk)
        added.append(person)
    return added


# --- wording and numbering --------------------------------------------------------------------


def _rule_values(ruleset: AuthorityRuleSet) -> dict[str, object]:
    return {"version": ruleset.version, "effective_on": ruleset.effective_on.isoformat()}


def _approve_step(seat: _Seat, *, final_level: ApprovalLevel) -> RouteStep:
    person, unit = cast(Person, seat.person), cast(OrgUnit, seat.unit)
    if seat.level.unit_level is not None:
        reason = _("%(position)s: head of the drafter's unit %(unit)s") % {
            "position": seat.position,
            "unit": unit.name,
        }
        if seat.position != seat.level.name:
            reason = _("%(reason)s, as %(level)s") % {"reason": reason, "level": seat.level.name}
    else:
        reason = _("%(position)s: on the route to the %(level)s decision") % {
            "position": seat.position,
            "level": final_level.name,
        }
    return _step(KIND_APPROVE, person, unit, seat.position, reason, level_code=seat.level.code)


def _decide_reason(
    decider: _Seat,
    *,
    ruleset: AuthorityRuleSet,
    cat: Category,
    rule: AuthorityRule,
    final_level: ApprovalLevel,
    passed_over: list[_Seat],
) -> str:
    reason = _(
        "%(position)s: %(condition)s → %(level)s decision "
        "(rules v%(version)s, effective %(effective_on)s)"
    ) % {
        **_rule_values(ruleset),
        "position": decider.position,
        "condition": rules.describe_range(category=cat, row=rule),
        "level": final_level.name,
    }
    if not passed_over:
        return reason
    return _("%(reason)s; %(escalation)s") % {
        "reason": reason,
        "escalation": _escalation(passed_over, decider),
    }


def _escalation(passed_over: list[_Seat], decider: _Seat) -> str:
    passed = _(", ").join(
        _("%(level)s is %(why)s") % {"level": seat.level.name, "why": _missing_text(seat.missing)}
        for seat in passed_over
    )
    return _("%(passed)s, so the decision goes up to the %(decider)s") % {
        "passed": passed,
        "decider": decider.level.name,
    }


def _skip_note(seat: _Seat) -> str:
    values = {"level": seat.level.name, "why": _missing_text(seat.missing)}
    if seat.unit is not None and seat.level.unit_level is not None:
        return _("%(level)s (%(unit)s): %(why)s, step skipped") % {**values, "unit": seat.unit.name}
    return _("%(level)s: %(why)s, step skipped") % values


def _missing_text(missing: str) -> str:
    return {
        _DRAFTER: _("the drafter"),
        _VACANT: _("vacant"),
        _NO_UNIT: _("not among the drafter's units"),
    }[missing]


def _step(
    kind: str,
    person: Person,
    unit: OrgUnit,
    position: str,
    reason: str,
    *,
    is_optional: bool = False,
    level_code: str = "",
) -> RouteStep:
    # ``order`` is assigned once the whole route is known (see _numbered).
    return RouteStep(0, kind, person, unit, position, reason, is_optional, level_code)


def _numbered(
    approvals: list[RouteStep], consults: list[RouteStep], decide: RouteStep
) -> tuple[RouteStep, ...]:
    """Number the steps: approvals one by one, all consultations on one order, the decider last."""
    numbered = [_with_order(step, n) for n, step in enumerate(approvals, start=1)]
    order = len(approvals) + 1
    if consults:
        numbered += [_with_order(step, order) for step in consults]
        order += 1
    numbered.append(_with_order(decide, order))
    return tuple(numbered)


def _with_order(step: RouteStep, order: int) -> RouteStep:
    return replace(step, order=order)
