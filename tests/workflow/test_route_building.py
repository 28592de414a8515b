"""Route building (回議) against CONTRACT.md "Approval": chains, levels, 合議, vacancies, versions.

Routes are compared as (order, kind, username) so that a failure shows the whole route.
"""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from audit.exceptions import ValidationFailed
from tests.workflow.conftest import make_ruleset
from workflow.authority.routing import Route, build_route

pytestmark = pytest.mark.django_db

ON = date(2026, 5, 1)
A, C, D = "approve", "consult", "decide"

# A 主事 of 市民部 > 市民課 > 窓口係: 係長, 課長, 部長 above; consulted units are elsewhere.
KAKARI, KACHO, BUCHO = "madoguchi_kakaricho", "shimin_kacho", "shimin_bucho"


def route_of(city, drafter: str, category: str, amount: int | None, **kw) -> Route:
    return build_route(drafter=city.p(drafter), category=category, amount=amount, on=ON, **kw)


def shape(route: Route) -> list[tuple[int, str, str]]:
    return [(step.order, step.kind, step.approver.username) for step in route.steps]


@pytest.mark.parametrize(
    ("amount", "expected", "final"),
    [
        (999_999, [(1, A, KAKARI), (2, D, KACHO)], "kacho"),
        (1_000_000, [(1, A, KAKARI), (2, A, KACHO), (3, D, BUCHO)], "bucho"),
        (9_999_999, [(1, A, KAKARI), (2, A, KACHO), (3, D, BUCHO)], "bucho"),
        (
            10_000_000,
            [
                (1, A, KAKARI),
                (2, A, KACHO),
                (3, A, BUCHO),
                (4, C, "zaisei_kacho"),
                (5, D, "deputy"),
            ],
            "fukushicho",
        ),
        (
            49_999_999,
            [
                (1, A, KAKARI),
                (2, A, KACHO),
                (3, A, BUCHO),
                (4, C, "zaisei_kacho"),
                (5, D, "deputy"),
            ],
            "fukushicho",
        ),
        (
            50_000_000,
            [
                (1, A, KAKARI),
                (2, A, KACHO),
                (3, A, BUCHO),
                (4, A, "deputy"),
                (5, C, "zaisei_kacho"),
                (6, D, "mayor"),
            ],
            "shicho",
        ),
    ],
)
def test_expenditure_boundaries(city, amount, expected, final):
    route = route_of(city, "madoguchi_staff", "expenditure", amount)

    assert shape(route) == expected
    assert route.final_level_code == final == route.decider_level_code
    assert route.ruleset_version == 1


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        (4_999_999, [(1, A, KAKARI), (2, A, KACHO), (3, C, "keiyaku_kacho"), (4, D, BUCHO)]),
        (
            5_000_000,
            [
                (1, A, KAKARI),
                (2, A, KACHO),
                (3, A, BUCHO),
                (4, C, "keiyaku_kacho"),
                (5, D, "deputy"),
            ],
        ),
        (
            49_999_999,
            [
                (1, A, KAKARI),
                (2, A, KACHO),
                (3, A, BUCHO),
                (4, C, "keiyaku_kacho"),
                (5, D, "deputy"),
            ],
        ),
        (
            50_000_000,
            [
                (1, A, KAKARI),
                (2, A, KACHO),
                (3, A, BUCHO),
                (4, A, "deputy"),
                (5, C, "keiyaku_kacho"),
                (6, D, "mayor"),
            ],
        ),
    ],
)
def test_contract_boundaries_always_consult_keiyaku_kensa(city, amount, expected):
    assert shape(route_of(city, "madoguchi_staff", "contract", amount)) == expected


@pytest.mark.parametrize(
    ("category", "expected"),
    [
        ("general", [(1, A, KAKARI), (2, D, KACHO)]),
        (
            "bylaw",
            [
                (1, A, KAKARI),
                (2, A, KACHO),
                (3, A, BUCHO),
                (4, A, "deputy"),
                (5, C, "somu_kacho"),
                (6, D, "mayor"),
            ],
        ),
        (
            "personnel",
            [(1, A, KAKARI), (2, A, KACHO), (3, A, BUCHO), (4, C, "jinji_kacho"), (5, D, "deputy")],
        ),
        ("disposal", [(1, A, KAKARI), (2, C, "somu_kacho"), (3, D, KACHO)]),
    ],
)
def test_categories_without_amounts(city, category, expected):
    route = route_of(city, "madoguchi_staff", category, None)

    assert shape(route) == expected
    assert route.amount is None


def test_an_amount_given_for_a_category_without_thresholds_changes_nothing(city):
    assert shape(route_of(city, "madoguchi_staff", "general", 90_000_000)) == [
        (1, A, KAKARI),
        (2, D, KACHO),
    ]


# --- drafters at every level -------------------------------------------------------------------


def test_kakaricho_drafter_is_not_their_own_approver(city):
    route = route_of(city, "madoguchi_kakaricho", "expenditure", 1_000_000)

    assert shape(route) == [(1, A, KACHO), (2, D, BUCHO)]
    with translation.override("ja"):
        route = route_of(city, "madoguchi_kakaricho", "general", None)
    assert shape(route) == [(1, D, KACHO)]
    assert "係長（窓口係）: 起案者本人のため省略" in route.explanations


def test_kacho_hosa_posted_to_the_division_starts_at_the_kacho(city):
    assert shape(route_of(city, "shimin_hosa", "general", None)) == [(1, D, KACHO)]
    assert shape(route_of(city, "shimin_hosa", "expenditure", 1_000_000)) == [
        (1, A, KACHO),
        (2, D, BUCHO),
    ]


def test_kacho_drafter_of_a_kacho_matter_goes_up_to_the_bucho(city):
    with translation.override("ja"):
        route = route_of(city, "shimin_kacho", "general", None)

    assert shape(route) == [(1, D, BUCHO)]
    assert (route.final_level_code, route.decider_level_code) == ("kacho", "bucho")
    assert route.decider.reason == (
        "部長: 一般 → 課長決裁（規程 v1, 2000-04-01施行）。課長が起案者本人のため、上位の部長が決裁"
    )


def test_kacho_drafter_above_their_own_level(city):
    assert shape(route_of(city, "shimin_kacho", "expenditure", 1_000_000)) == [(1, D, BUCHO)]
    assert shape(route_of(city, "shimin_kacho", "contract", 1_000_000)) == [
        (1, C, "keiyaku_kacho"),
        (2, D, BUCHO),
    ]


def test_bucho_expenditure_of_a_bucho_matter_goes_to_the_deputy_mayor(city):
    route = route_of(city, "shimin_bucho", "expenditure", 1_000_000)

    assert shape(route) == [(1, D, "deputy")]
    assert (route.final_level_code, route.decider_level_code) == ("bucho", "fukushicho")


def test_bucho_drafter_of_a_kacho_matter_has_no_kacho_and_is_not_their_own_decider(city):
    with translation.override("ja"):
        route = route_of(city, "shimin_bucho", "general", None)

    assert shape(route) == [(1, D, "deputy")]
    assert "課長が起案者の所属系統になし、部長が起案者本人のため" in route.decider.reason


def test_bucho_drafter_above_ten_million_is_consulted_with_zaisei(city):
    assert shape(route_of(city, "shimin_bucho", "expenditure", 10_000_000)) == [
        (1, C, "zaisei_kacho"),
        (2, D, "deputy"),
    ]


def test_deputy_mayor_drafting_a_personnel_matter_goes_to_the_mayor(city):
    assert shape(route_of(city, "deputy", "personnel", None)) == [
        (1, C, "jinji_kacho"),
        (2, D, "mayor"),
    ]


def test_nobody_above_the_mayor(city):
    with pytest.raises(ValidationFailed):
        route_of(city, "mayor", "bylaw", None)


def test_drafter_without_a_post_is_refused(city):
    from tests.factories import make_person

    outsider = make_person("councilor", "議員 一郎", None)
    with pytest.raises(ValidationFailed):
        build_route(drafter=outsider, category="general", amount=None, on=ON)


# --- vacancies ---------------------------------------------------------------------------------


def test_section_without_kakaricho_is_skipped_and_explained(city):
    with translation.override("ja"):
        route = route_of(city, "keiyaku_staff", "general", None)

    # 契約係 has a 主任 (rank 20): no head, so no 係長 step, and the 主任 is not promoted.
    assert shape(route) == [(1, D, "keiyaku_kacho")]
    assert "係長（契約係）: 不在のため省略" in route.explanations


def test_vacant_final_level_goes_to_the_next_present_level(city):
    city.deactivate("zeimu_kacho")
    with translation.override("ja"):
        route = route_of(city, "zeimu_staff", "general", None)

    assert shape(route) == [(1, A, "zeimu_kakaricho"), (2, D, BUCHO)]
    assert route.decider.reason.endswith("課長が不在のため、上位の部長が決裁")
    assert route.decider_level_code == "bucho"


def test_vacant_intermediate_head_is_skipped(city):
    city.deactivate("shimin_kacho")
    # 課長補佐 (rank 45) is the 課's highest member at or above 係長: the head by CONTRACT.md.
    route = route_of(city, "madoguchi_staff", "expenditure", 1_000_000)
    assert shape(route) == [(1, A, KAKARI), (2, A, "shimin_hosa"), (3, D, BUCHO)]
    assert route.steps[1].position == "課長補佐"

    city.deactivate("shimin_hosa")
    assert shape(route_of(city, "madoguchi_staff", "expenditure", 1_000_000)) == [
        (1, A, KAKARI),
        (2, D, BUCHO),
    ]


def test_vacant_deputy_mayor_is_skipped_on_the_way_to_the_mayor(city):
    city.deactivate("deputy")
    route = route_of(city, "madoguchi_staff", "bylaw", None)
    assert shape(route) == [
        (1, A, KAKARI),
        (2, A, KACHO),
        (3, A, BUCHO),
        (4, C, "somu_kacho"),
        (5, D, "mayor"),
    ]


# --- consultations -----------------------------------------------------------------------------


def test_drafter_inside_the_consulted_unit_is_not_consulted_with_it(city):
    with translation.override("ja"):
        route = route_of(city, "zaisei_staff", "expenditure", 10_000_000)

    assert shape(route) == [
        (1, A, "zaisei_kakaricho"),
        (2, A, "zaisei_kacho"),
        (3, A, "somu_bucho"),
        (4, D, "deputy"),
    ]
    assert "財政課との合議は省略（起案者の所属のため）" in route.explanations


def test_keiyaku_staff_contract_is_not_consulted_with_their_own_division(city):
    assert shape(route_of(city, "keiyaku_staff", "contract", 1_000_000)) == [
        (1, A, "keiyaku_kacho"),
        (2, D, "somu_bucho"),
    ]


def test_a_concurrent_post_in_the_consulted_unit_counts_as_belonging(city):
    city.add_post("madoguchi_staff", "財政係", "主事")
    route = route_of(city, "madoguchi_staff", "expenditure", 10_000_000)
    assert [step.kind for step in route.steps] == [A, A, A, D]


def test_consulted_unit_whose_head_is_already_on_the_route(city):
    # 財政課長 also heads 契約検査課 (事務取扱) while its 課長 post is vacant.
    city.deactivate("keiyaku_kacho")
    city.add_post("zaisei_kacho", "契約検査課", "課長")
    with translation.override("ja"):
        route = route_of(city, "zaisei_staff", "contract", 1_000_000)

    assert shape(route) == [
        (1, A, "zaisei_kakaricho"),
        (2, A, "zaisei_kacho"),
        (3, D, "somu_bucho"),
    ]
    assert any(
        note.startswith("契約検査課との合議は省略（長の") and "既に回議に含まれるため" in note
        for note in route.explanations
    )


def test_consulted_unit_whose_head_is_the_decider(city):
    # The 市民部長 also heads 財政課: the 部長 decides, so no separate 合議 with 財政課.
    make_ruleset(
        version=2,
        effective_on=date(2026, 4, 1),
        authority=[("expenditure", 0, None, "bucho")],
        consultations=[("expenditure", 0, None, "財政課")],
    )
    city.deactivate("zaisei_kacho")
    city.add_post("shimin_bucho", "財政課", "課長")
    assert shape(route_of(city, "madoguchi_staff", "expenditure", 1)) == [
        (1, A, KAKARI),
        (2, A, KACHO),
        (3, D, BUCHO),
    ]


def test_consulted_unit_without_a_head_is_skipped_and_explained(city):
    city.deactivate("somu_kacho")
    with translation.override("ja"):
        route = route_of(city, "madoguchi_staff", "disposal", None)

    assert shape(route) == [(1, A, KAKARI), (2, D, KACHO)]
    assert "総務課との合議は省略（長が不在のため）" in route.explanations


def test_consulted_unit_missing_from_the_org_chart_is_skipped_and_explained(city):
    unit = city.u("人事課")
    unit.is_active = False
    unit.save(update_fields=["is_active"])
    route = route_of(city, "madoguchi_staff", "personnel", None)
    assert [step.kind for step in route.steps] == [A, A, A, D]
    assert any("人事課" in note for note in route.explanations)


def test_several_consulted_units_share_one_parallel_step_before_the_decider(city):
    make_ruleset(
        version=2,
        effective_on=date(2026, 4, 1),
        authority=[("contract", 0, None, "bucho")],
        consultations=[("contract", 0, None, "契約検査課"), ("contract", 0, None, "財政課")],
    )
    assert shape(route_of(city, "madoguchi_staff", "contract", 1)) == [
        (1, A, KAKARI),
        (2, A, KACHO),
        (3, C, "keiyaku_kacho"),
        (3, C, "zaisei_kacho"),
        (4, D, BUCHO),
    ]


# --- a 局 as a 部-level unit -------------------------------------------------------------------


def test_kyokucho_acts_as_bucho(city):
    with translation.override("ja"):
        route = route_of(city, "giji_staff", "expenditure", 1_000_000)

    assert shape(route) == [
        (1, A, "giji_kakaricho"),
        (2, A, "giji_kacho"),
        (3, D, "gikai_kyokucho"),
    ]
    assert route.decider.position == "局長"
    assert route.decider.unit == city.u("議会事務局")
    assert route.decider.reason.startswith("局長: 支出 1,000,000円以上10,000,000円未満 → 部長決裁")
    assert route.decider_level_code == "bucho"


def test_kyokucho_on_the_way_up(city):
    with translation.override("ja"):
        route = route_of(city, "giji_staff", "expenditure", 10_000_000)

    assert shape(route) == [
        (1, A, "giji_kakaricho"),
        (2, A, "giji_kacho"),
        (3, A, "gikai_kyokucho"),
        (4, C, "zaisei_kacho"),
        (5, D, "deputy"),
    ]
    assert route.steps[2].reason == "局長: 起案者の所属（議会事務局）の長（部長相当）"


# --- concurrent posts (兼務) -------------------------------------------------------------------


def test_concurrent_head_of_section_and_division_appears_once(city):
    city.deactivate("madoguchi_kakaricho")
    city.add_post("shimin_kacho", "窓口係", "係長")

    route = route_of(city, "madoguchi_staff", "expenditure", 1_000_000)
    assert shape(route) == [(1, A, KACHO), (2, D, BUCHO)]
    assert route.steps[0].level_code == "kacho"  # the higher step is kept
    assert shape(route_of(city, "madoguchi_staff", "general", None)) == [(1, D, KACHO)]


def test_concurrent_post_does_not_change_the_primary_chain(city):
    # The 税務課長 also serves in 窓口係 as 主事: their route still starts from 税務課.
    city.add_post("zeimu_kacho", "窓口係", "主事")
    assert shape(route_of(city, "zeimu_kacho", "general", None)) == [(1, D, BUCHO)]


# --- extras ------------------------------------------------------------------------------------


def test_extra_approvers_and_consultees_are_optional_and_placed_before_the_decider(city):
    route = route_of(
        city,
        "madoguchi_staff",
        "expenditure",
        10_000_000,
        extra_approvers=[city.p("shimin_hosa")],
        extra_consultees=[city.p("zeimu_kacho")],
    )

    assert shape(route) == [
        (1, A, KAKARI),
        (2, A, KACHO),
        (3, A, BUCHO),
        (4, A, "shimin_hosa"),
        (5, C, "zaisei_kacho"),
        (5, C, "zeimu_kacho"),
        (6, D, "deputy"),
    ]
    assert [step.is_optional for step in route.steps] == [
        False,
        False,
        False,
        True,
        False,
        True,
        False,
    ]


def test_extra_consultee_without_required_consultation_makes_the_consult_step(city):
    route = route_of(
        city, "madoguchi_staff", "general", None, extra_consultees=[city.p("zeimu_kacho")]
    )
    assert shape(route) == [(1, A, KAKARI), (2, C, "zeimu_kacho"), (3, D, KACHO)]


@pytest.mark.parametrize("where", ["extra_approvers", "extra_consultees"])
def test_drafter_cannot_add_themselves(city, where):
    with pytest.raises(ValidationFailed):
        route_of(city, "madoguchi_staff", "general", None, **{where: [city.p("madoguchi_staff")]})


def test_people_already_on_the_route_are_not_added_twice(city):
    with translation.override("ja"):
        route = route_of(
            city,
            "madoguchi_staff",
            "expenditure",
            10_000_000,
            extra_approvers=[city.p(KACHO), city.p("deputy"), city.p("zeimu_kacho")],
            extra_consultees=[city.p("zaisei_kacho"), city.p("zeimu_kacho")],
        )

    # The decider cannot be moved before themselves, nor a person consulted and approving.
    assert shape(route) == [
        (1, A, KAKARI),
        (2, A, KACHO),
        (3, A, BUCHO),
        (4, A, "zeimu_kacho"),
        (5, C, "zaisei_kacho"),
        (6, D, "deputy"),
    ]
    assert sum("既に回議に含まれるため" in note for note in route.explanations) == 4


def test_an_extra_cannot_turn_a_required_consultation_into_an_optional_step(city):
    route = route_of(
        city,
        "madoguchi_staff",
        "expenditure",
        10_000_000,
        extra_approvers=[city.p("zaisei_kacho")],
    )
    zaisei = [step for step in route.steps if step.approver == city.p("zaisei_kacho")]
    assert [(step.kind, step.is_optional) for step in zaisei] == [(C, False)]


def test_inactive_or_postless_extras_are_refused(city):
    from tests.factories import make_person

    city.deactivate("zeimu_kacho")
    with pytest.raises(ValidationFailed):
        route_of(city, "madoguchi_staff", "general", None, extra_approvers=[city.p("zeimu_kacho")])
    outsider = make_person("outsider", "外部 太郎", None)
    with pytest.raises(ValidationFailed):
        route_of(city, "madoguchi_staff", "general", None, extra_consultees=[outsider])


# --- rule versions -----------------------------------------------------------------------------


def test_rule_version_by_effective_date(city):
    # v2 from 2026-04-01 raises the 課長's limit for expenditure to 3,000,000 yen.
    make_ruleset(
        version=2,
        effective_on=date(2026, 4, 1),
        authority=[
            ("expenditure", 0, 3_000_000, "kacho"),
            ("expenditure", 3_000_000, None, "bucho"),
        ],
    )
    drafter = city.p("madoguchi_staff")
    with translation.override("ja"):
        before = build_route(
            drafter=drafter, category="expenditure", amount=2_000_000, on=date(2026, 3, 31)
        )
        after = build_route(
            drafter=drafter, category="expenditure", amount=2_000_000, on=date(2026, 4, 1)
        )

    assert (before.ruleset_version, before.decider.approver.username) == (1, BUCHO)
    assert (after.ruleset_version, after.decider.approver.username) == (2, KACHO)
    assert after.ruleset_effective_on == date(2026, 4, 1)
    assert (
        after.decider.reason == "課長: 支出 3,000,000円未満 → 課長決裁（規程 v2, 2026-04-01施行）"
    )
    assert before.decider.reason.endswith("（規程 v1, 2000-04-01施行）")


def test_no_rules_before_the_first_version(city):
    with pytest.raises(ValidationFailed):
        build_route(
            drafter=city.p("madoguchi_staff"),
            category="general",
            amount=None,
            on=date(2000, 3, 31),
        )


# --- explanations ------------------------------------------------------------------------------


def test_every_step_explains_itself_with_version_and_threshold(city):
    with translation.override("ja"):
        route = route_of(city, "madoguchi_staff", "expenditure", 10_000_000)

    assert [step.reason for step in route.steps] == [
        "係長: 起案者の所属（窓口係）の長",
        "課長: 起案者の所属（市民課）の長",
        "部長: 起案者の所属（市民部）の長",
        "合議: 財政課（支出 10,000,000円以上）",
        "副市長: 支出 10,000,000円以上50,000,000円未満 → 副市長決裁（規程 v1, 2000-04-01施行）",
    ]
    assert route.explanations[0] == (
        "専決規程 v1（2000-04-01施行）: 支出 10,000,000円以上50,000,000円未満 → 副市長決裁"
    )
    assert [step.position for step in route.steps] == ["係長", "課長", "部長", "課長", "副市長"]


def test_title_levels_and_always_consultations_explain_themselves(city):
    with translation.override("ja"):
        route = route_of(city, "madoguchi_staff", "bylaw", None)

    assert route.steps[3].reason == "副市長: 市長決裁までの回議"
    assert route.steps[4].reason == "合議: 総務課（例規は常時）"
    assert route.decider.reason == "市長: 例規 → 市長決裁（規程 v1, 2000-04-01施行）"


def test_english_reasons(city):
    with translation.override("en"):
        route = route_of(city, "madoguchi_staff", "expenditure", 1_000_000)
    assert route.decider.reason == (
        "部長: 支出 1,000,000 yen or more and under 10,000,000 yen → 部長 decision "
        "(rules v1, effective 2000-04-01)"
    )


# --- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("category", "amount"),
    [
        ("unknown", 1),
        ("", None),
        ("expenditure", None),
        ("contract", None),
        ("expenditure", -1),
        ("general", -1),
        ("expenditure", "1000"),
        ("expenditure", 1.5),
        ("expenditure", True),
    ],
)
def test_bad_input_is_refused(city, category, amount):
    with pytest.raises(ValidationFailed):
        route_of(city, "madoguchi_staff", category, amount)


# --- invariants over many drafters ------------------------------------------------------------

DRAFTERS = [
    "madoguchi_staff",
    "madoguchi_kakaricho",
    "shimin_hosa",
    "shimin_kacho",
    "shimin_bucho",
    "zaisei_staff",
    "zaisei_kacho",
    "keiyaku_staff",
    "somu_staff",
    "jinji_staff",
    "giji_staff",
    "gikai_kyokucho",
    "deputy",
]
CASES = [
    ("general", None),
    ("expenditure", 999_999),
    ("expenditure", 10_000_000),
    ("expenditure", 50_000_000),
    ("contract", 4_999_999),
    ("contract", 50_000_000),
    ("bylaw", None),
    ("personnel", None),
    ("disposal", None),
]


@pytest.mark.parametrize("drafter", DRAFTERS)
def test_route_invariants(city, drafter):
    for category, amount in CASES:
        route = route_of(city, drafter, category, amount)
        people = [step.approver.pk for step in route.steps]
        orders = [step.order for step in route.steps]
        consult_orders = {step.order for step in route.steps if step.kind == C}
        case = (drafter, category, amount, shape(route))

        assert city.p(drafter).pk not in people, case
        assert len(people) == len(set(people)), case
        assert [s.kind for s in route.steps].count(D) == 1, case
        assert route.steps[-1].kind == D, case
        assert orders == sorted(orders), case
        assert set(orders) == set(range(1, max(orders) + 1)), case
        assert consult_orders in (set(), {route.decider.order - 1}), case
        assert all(step.reason for step in route.steps), case


def test_route_building_is_a_pure_read(city):
    with CaptureQueriesContext(connection) as queries:
        route_of(city, "madoguchi_staff", "bylaw", None, extra_consultees=[city.p("zeimu_kacho")])
    assert queries.captured_queries
    assert all(q["sql"].lstrip().upper().startswith("SELECT") for q in queries.captured_queries)


def test_steps_are_frozen(city):
    step = route_of(city, "madoguchi_staff", "general", None).steps[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        step.approver = city.p("mayor")
