"""The authority table (専決規程): defaults of CONTRACT.md, versions by date, lookups, the admin."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import IntegrityError, transaction
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from audit.exceptions import PermissionRefused, ValidationFailed
from audit.models import AuditEvent
from tests.workflow.conftest import make_ruleset
from workflow.admin import AuthorityRuleSetAdmin
from workflow.authority import rules
from workflow.models import (
    ApprovalLevel,
    AuthorityRule,
    AuthorityRuleSet,
    Category,
    ConsultationRule,
)

pytestmark = pytest.mark.django_db

V1_DAY = date(2000, 4, 1)


def v1() -> AuthorityRuleSet:
    return AuthorityRuleSet.objects.get(version=1)


def level_of(category: str, amount: int | None, ruleset: AuthorityRuleSet | None = None) -> str:
    level, _rule = rules.final_level_for(ruleset=ruleset or v1(), category=category, amount=amount)
    return level.code


def consulted(category: str, amount: int | None) -> list[str]:
    return [
        name
        for name, _rule in rules.consulted_units_for(ruleset=v1(), category=category, amount=amount)
    ]


# --- the defaults of CONTRACT.md -------------------------------------------------------------


def test_default_levels_and_how_they_are_found():
    levels = [(lv.code, lv.name, lv.unit_level, lv.title) for lv in ApprovalLevel.objects.all()]
    assert levels == [
        ("kakaricho", "係長", 3, ""),
        ("kacho", "課長", 2, ""),
        ("bucho", "部長", 1, ""),
        ("fukushicho", "副市長", None, "副市長"),
        ("shicho", "市長", None, "市長"),
    ]


def test_default_categories():
    assert list(Category.objects.values_list("code", flat=True)) == [
        "general",
        "expenditure",
        "contract",
        "bylaw",
        "personnel",
        "disposal",
    ]


def test_version_one_is_in_force_since_2000_04_01():
    ruleset = v1()
    assert ruleset.effective_on == V1_DAY
    assert rules.ruleset_in_force(on=V1_DAY) == ruleset
    assert rules.ruleset_in_force(on=timezone.localdate()) == ruleset


@pytest.mark.parametrize(
    ("category", "amount", "level"),
    [
        ("general", None, "kacho"),
        ("general", 0, "kacho"),
        ("expenditure", 0, "kacho"),
        ("expenditure", 999_999, "kacho"),
        ("expenditure", 1_000_000, "bucho"),
        ("expenditure", 9_999_999, "bucho"),
        ("expenditure", 10_000_000, "fukushicho"),
        ("expenditure", 49_999_999, "fukushicho"),
        ("expenditure", 50_000_000, "shicho"),
        ("expenditure", 10**15, "shicho"),
        ("contract", 0, "bucho"),
        ("contract", 4_999_999, "bucho"),
        ("contract", 5_000_000, "fukushicho"),
        ("contract", 49_999_999, "fukushicho"),
        ("contract", 50_000_000, "shicho"),
        ("bylaw", None, "shicho"),
        ("personnel", None, "fukushicho"),
        ("disposal", None, "kacho"),
    ],
)
def test_final_level_by_category_and_amount(category, amount, level):
    assert level_of(category, amount) == level


@pytest.mark.parametrize(
    ("category", "amount", "units"),
    [
        ("general", None, []),
        ("expenditure", 9_999_999, []),
        ("expenditure", 10_000_000, ["財政課"]),
        ("expenditure", 50_000_000, ["財政課"]),
        ("contract", 0, ["契約検査課"]),
        ("contract", 50_000_000, ["契約検査課"]),
        ("bylaw", None, ["総務課"]),
        ("personnel", None, ["人事課"]),
        ("disposal", None, ["総務課"]),
    ],
)
def test_consultations_by_category_and_amount(category, amount, units):
    assert consulted(category, amount) == units


def test_final_level_returns_the_rule_that_set_it():
    level, rule = rules.final_level_for(ruleset=v1(), category="expenditure", amount=1_000_000)
    assert (rule.amount_min, rule.amount_max, rule.final_level) == (1_000_000, 10_000_000, level)


# --- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("category", "amount"),
    [
        ("unknown", 1),
        ("", 1),
        (None, 1),
        ("expenditure", None),
        ("contract", None),
        ("expenditure", -1),
        ("general", -1),
        ("expenditure", True),
        ("expenditure", 1.0),
        ("expenditure", "1000"),
    ],
)
def test_bad_category_or_amount_is_a_validation_error(category, amount):
    with pytest.raises(ValidationFailed) as raised:
        rules.final_level_for(ruleset=v1(), category=category, amount=amount)
    assert raised.value.status_code == 400


def test_consultations_that_depend_on_the_amount_need_one():
    with pytest.raises(ValidationFailed):
        rules.consulted_units_for(ruleset=v1(), category="expenditure", amount=None)
    assert consulted("bylaw", None) == ["総務課"]


def test_unknown_category_for_consultations():
    with pytest.raises(ValidationFailed):
        rules.consulted_units_for(ruleset=v1(), category="nope", amount=0)


# --- versions ----------------------------------------------------------------------------------


def test_ruleset_in_force_is_the_latest_effective_on_or_before_the_date():
    v2 = make_ruleset(
        version=2,
        effective_on=date(2026, 4, 1),
        authority=[
            ("expenditure", 0, 3_000_000, "kacho"),
            ("expenditure", 3_000_000, None, "bucho"),
        ],
    )
    v3 = make_ruleset(version=3, effective_on=date(2027, 4, 1), authority=[])

    assert rules.ruleset_in_force(on=date(2026, 3, 31)) == v1()
    assert rules.ruleset_in_force(on=date(2026, 4, 1)) == v2
    assert rules.ruleset_in_force(on=date(2027, 3, 31)) == v2
    assert rules.ruleset_in_force(on=date(2027, 4, 1)) == v3
    assert level_of("expenditure", 2_000_000, v1()) == "bucho"
    assert level_of("expenditure", 2_000_000, v2) == "kacho"


def test_no_ruleset_in_force_before_the_first():
    with pytest.raises(rules.RuleNotFound):
        rules.ruleset_in_force(on=date(2000, 3, 31))


def test_category_missing_from_a_version_is_refused():
    v2 = make_ruleset(version=2, effective_on=date(2026, 4, 1), authority=[])
    with pytest.raises(rules.RuleNotFound):
        rules.final_level_for(ruleset=v2, category="general", amount=None)


def test_gap_or_overlap_in_a_version_is_refused_rather_than_guessed():
    gap = make_ruleset(
        version=2,
        effective_on=date(2026, 4, 1),
        authority=[("expenditure", 0, 100, "kacho"), ("expenditure", 200, None, "bucho")],
    )
    overlap = make_ruleset(
        version=3,
        effective_on=date(2026, 5, 1),
        authority=[("expenditure", 0, 300, "kacho"), ("expenditure", 200, None, "bucho")],
    )
    assert level_of("expenditure", 99, gap) == "kacho"
    with pytest.raises(rules.RuleNotFound):
        level_of("expenditure", 150, gap)
    with pytest.raises(rules.RuleNotFound):
        level_of("expenditure", 250, overlap)


# --- row constraints -----------------------------------------------------------------------------


def _violates(**kw) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        AuthorityRule.objects.create(
            ruleset=v1(),
            category=Category.objects.get(code="general"),
            final_level=ApprovalLevel.objects.get(code="kacho"),
            **kw,
        )


def test_rule_range_must_be_increasing():
    _violates(amount_min=100, amount_max=100)
    _violates(amount_min=100, amount_max=50)


def test_rule_start_is_unique_within_a_version_and_category():
    _violates(amount_min=0, amount_max=None)


def test_version_and_effective_date_are_unique():
    with pytest.raises(IntegrityError), transaction.atomic():
        AuthorityRuleSet.objects.create(version=1, effective_on=date(2030, 1, 1))
    with pytest.raises(IntegrityError), transaction.atomic():
        AuthorityRuleSet.objects.create(version=9, effective_on=V1_DAY)


@pytest.mark.parametrize(("unit_level", "title"), [(2, "課長"), (None, ""), (4, "")])
def test_a_level_is_found_one_way_only(unit_level, title):
    with pytest.raises(IntegrityError), transaction.atomic():
        ApprovalLevel.objects.create(
            code="x", name="x", order=99, unit_level=unit_level, title=title
        )


def test_consultation_range_must_be_increasing():
    with pytest.raises(IntegrityError), transaction.atomic():
        ConsultationRule.objects.create(
            ruleset=v1(),
            category=Category.objects.get(code="general"),
            amount_min=10,
            amount_max=5,
            unit_name="財政課",
        )


# --- range validation for the admin ------------------------------------------------------------


def _rows(*ranges):
    return [AuthorityRule(amount_min=lo, amount_max=hi) for lo, hi in ranges]


@pytest.mark.parametrize(
    ("ranges", "complete", "problems"),
    [
        ([(0, 10), (10, None)], True, 0),
        ([(0, 10), (5, None)], True, 1),
        ([(0, None), (5, 10)], True, 1),
        ([(0, 10), (20, None)], True, 1),
        ([(1, None)], True, 1),
        ([(0, 10)], True, 1),
        ([(0, 10), (20, None)], False, 0),
        ([(10, 20)], False, 0),
    ],
)
def test_range_problems(ranges, complete, problems):
    found = rules.range_problems(rows=_rows(*ranges), key=lambda row: "支出", complete=complete)
    assert len(found) == problems


# --- copying a version -------------------------------------------------------------------------


def test_copy_as_new_version(admin_user):
    copy = rules.ruleset_copy(actor=admin_user, source=v1())

    assert copy.version == 2
    assert copy.effective_on == timezone.localdate() + timedelta(days=1)
    assert copy.authority_rules.count() == v1().authority_rules.count() == 11
    assert copy.consultation_rules.count() == v1().consultation_rules.count() == 5
    assert level_of("expenditure", 1_000_000, copy) == "bucho"
    event = AuditEvent.objects.get(action="workflow.ruleset_copied")
    assert event.details["version"] == 2
    # The copy is independent: editing it leaves version 1 alone.
    copy.authority_rules.filter(final_level__code="bucho").update(amount_min=2_000_000)
    assert level_of("expenditure", 1_000_000, v1()) == "bucho"


def test_copy_refuses_past_dates_and_people_without_permission(admin_user, django_user_model):
    with pytest.raises(ValidationFailed):
        rules.ruleset_copy(actor=admin_user, source=v1(), effective_on=timezone.localdate())
    clerk = django_user_model.objects.create_user("clerk", password="x")
    with pytest.raises(PermissionRefused):
        rules.ruleset_copy(actor=clerk, source=v1())
    assert AuthorityRuleSet.objects.count() == 1


# --- the admin ---------------------------------------------------------------------------------


def _admin_request(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def test_versions_whose_date_has_arrived_are_read_only(admin_user):
    from django.contrib import admin

    model_admin = AuthorityRuleSetAdmin(AuthorityRuleSet, admin.site)
    request = _admin_request(admin_user)
    future = make_ruleset(
        version=2, effective_on=timezone.localdate() + timedelta(days=30), authority=[]
    )

    assert not model_admin.has_change_permission(request, v1())
    assert not model_admin.has_delete_permission(request, v1())
    assert model_admin.has_change_permission(request, future)
    assert model_admin.has_delete_permission(request, future)
    assert "delete_selected" not in model_admin.get_actions(request)


def test_admin_refuses_to_save_a_version_in_force(admin_client):
    url = reverse("admin:workflow_authorityruleset_change", args=[v1().pk])
    assert admin_client.get(url).status_code == 200
    response = admin_client.post(url, {"version": 1, "effective_on": "2000-04-01", "note": "x"})
    assert response.status_code == 403
    assert v1().note != "x"


def test_admin_action_copies_as_new_version(admin_client):
    response = admin_client.post(
        reverse("admin:workflow_authorityruleset_changelist"),
        {"action": "copy_as_new_version", "_selected_action": [v1().pk]},
    )
    copy = AuthorityRuleSet.objects.get(version=2)
    assert response.status_code == 302
    assert response.url == reverse("admin:workflow_authorityruleset_change", args=[copy.pk])
    assert copy.authority_rules.count() == 11


def _add_form(effective_on: date, rules_rows, consultations=()) -> dict:
    data = {
        "version": 2,
        "effective_on": effective_on.isoformat(),
        "note": "v2",
        "authority_rules-TOTAL_FORMS": len(rules_rows),
        "authority_rules-INITIAL_FORMS": 0,
        "consultation_rules-TOTAL_FORMS": len(consultations),
        "consultation_rules-INITIAL_FORMS": 0,
    }
    for i, (category, lo, hi, level) in enumerate(rules_rows):
        data |= {
            f"authority_rules-{i}-category": Category.objects.get(code=category).pk,
            f"authority_rules-{i}-amount_min": lo,
            f"authority_rules-{i}-amount_max": "" if hi is None else hi,
            f"authority_rules-{i}-final_level": ApprovalLevel.objects.get(code=level).pk,
        }
    for i, (category, lo, hi, unit) in enumerate(consultations):
        data |= {
            f"consultation_rules-{i}-category": Category.objects.get(code=category).pk,
            f"consultation_rules-{i}-amount_min": lo,
            f"consultation_rules-{i}-amount_max": "" if hi is None else hi,
            f"consultation_rules-{i}-unit_name": unit,
        }
    return data


def test_admin_adds_a_future_version_and_audits_it(admin_client):
    tomorrow = timezone.localdate() + timedelta(days=1)
    response = admin_client.post(
        reverse("admin:workflow_authorityruleset_add"),
        _add_form(
            tomorrow,
            [("expenditure", 0, 2_000_000, "kacho"), ("expenditure", 2_000_000, None, "bucho")],
            [("expenditure", 0, None, "財政課")],
        ),
    )
    assert response.status_code == 302
    v2 = AuthorityRuleSet.objects.get(version=2)
    assert level_of("expenditure", 1_500_000, v2) == "kacho"
    assert AuditEvent.objects.filter(action="admin.authorityruleset_changed").exists()


@pytest.mark.parametrize(
    ("days", "rows"),
    [
        (0, [("general", 0, None, "kacho")]),  # takes effect today: already in force
        (1, [("expenditure", 0, 2_000_000, "kacho"), ("expenditure", 1_000_000, None, "bucho")]),
        (1, [("expenditure", 0, 2_000_000, "kacho"), ("expenditure", 3_000_000, None, "bucho")]),
        (1, [("expenditure", 0, 2_000_000, "kacho")]),
    ],
)
def test_admin_refuses_past_dates_overlaps_and_gaps(admin_client, days, rows):
    response = admin_client.post(
        reverse("admin:workflow_authorityruleset_add"),
        _add_form(timezone.localdate() + timedelta(days=days), rows),
    )
    assert response.status_code == 200  # the form again, with its errors
    assert not AuthorityRuleSet.objects.filter(version=2).exists()


def test_changelist_shows_the_status_of_each_version(admin_client):
    make_ruleset(version=2, effective_on=timezone.localdate() + timedelta(days=30), authority=[])
    response = admin_client.get(reverse("admin:workflow_authorityruleset_changelist"))
    assert response.status_code == 200
    content = response.content.decode()
    assert "施行中" in content
    assert "施行予定（編集可）" in content


def test_levels_in_use_keep_their_code_order_and_resolution(admin_user):
    from django.contrib import admin

    from workflow.admin import ApprovalLevelAdmin

    model_admin = ApprovalLevelAdmin(ApprovalLevel, admin.site)
    request = _admin_request(admin_user)
    kacho = ApprovalLevel.objects.get(code="kacho")

    assert set(model_admin.get_readonly_fields(request, kacho)) == {
        "code",
        "order",
        "unit_level",
        "title",
    }
    assert not model_admin.has_delete_permission(request, kacho)
    assert model_admin.get_readonly_fields(request, None) == ()
