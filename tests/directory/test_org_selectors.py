"""Org selectors: heads, chains, vacancies, concurrent posts (兼務) and delegation periods."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from directory import selectors
from directory.models import Delegation, OrgUnit, Position
from tests.factories import AssignmentFactory, PositionFactory, make_person

pytestmark = pytest.mark.django_db
JST = ZoneInfo("Asia/Tokyo")


def test_head_is_highest_ranked_member_at_or_above_kakaricho(org):
    assert selectors.unit_head(org.zaisei_kakari) == org.zaisei_kakaricho
    assert selectors.unit_head(org.zaisei) == org.zaisei_kacho
    assert selectors.unit_head(org.somu) == org.bucho


def test_a_higher_rank_in_the_same_unit_wins(org):
    make_person("hosa", "課長補佐 次郎", org.zaisei, "課長補佐")
    assert selectors.unit_head(org.zaisei) == org.zaisei_kacho


def test_section_without_kakaricho_has_no_head(org):
    # 契約係 only has a 主任 (rank 20): a vacancy, not the 主任.
    assert selectors.unit_head(org.keiyaku_kakari) is None


def test_rank_table_edit_changes_who_is_head(org):
    Position.objects.filter(title="主任").update(rank=45)
    assert selectors.unit_head(org.keiyaku_kakari) == org.keiyaku_staff


def test_inactive_person_is_never_head(org):
    org.zaisei_kakaricho.is_active = False
    org.zaisei_kakaricho.save(update_fields=["is_active"])
    assert selectors.unit_head(org.zaisei_kakari) is None


def test_chain_of_units_goes_up_from_the_primary_post(org):
    assert selectors.person_unit_chain(org.zaisei_staff) == [
        org.zaisei_kakari,
        org.zaisei,
        org.somu,
    ]
    assert selectors.unit_at_level(org.zaisei_kakari, OrgUnit.Level.DIVISION) == org.zaisei
    assert selectors.unit_at_level(org.zaisei, OrgUnit.Level.SECTION) is None


def test_concurrent_post_makes_a_head_without_changing_the_primary_chain(org):
    AssignmentFactory(
        person=org.keiyaku_kacho,
        unit=org.keiyaku_kakari,
        position=PositionFactory(title="係長"),
        is_primary=False,
    )
    assert selectors.unit_head(org.keiyaku_kakari) == org.keiyaku_kacho
    assert selectors.unit_head(org.keiyaku) == org.keiyaku_kacho
    assert selectors.person_unit_chain(org.keiyaku_kacho) == [org.keiyaku, org.somu]
    posts = selectors.person_posts(org.keiyaku_kacho)
    assert [(p.unit.name, p.is_primary) for p in posts] == [("契約検査課", True), ("契約係", False)]


def test_mayor_and_deputy_found_by_title_wherever_they_sit(org):
    assert list(selectors.persons_with_title("市長")) == [org.mayor]
    assert list(selectors.persons_with_title("副市長")) == [org.deputy_mayor]


def test_person_without_post_has_empty_chain(org):
    councilor = make_person("giin", "議員 三郎", None)
    assert selectors.person_unit_chain(councilor) == []
    assert selectors.person_primary_post(councilor) is None


def test_delegation_is_active_only_inside_its_period(org):
    start = datetime(2026, 12, 1, 9, 0, tzinfo=JST)
    Delegation.objects.create(
        principal=org.zaisei_kacho,
        deputy=org.zaisei_kakaricho,
        start_at=start,
        end_at=start + timedelta(days=3),
    )
    deputy, principal = org.zaisei_kakaricho, org.zaisei_kacho
    with time_machine.travel(start - timedelta(seconds=1), tick=False):
        assert selectors.principals_for_deputy(deputy) == []
        assert not selectors.may_act_for(deputy, principal)
    with time_machine.travel(start, tick=False):
        assert selectors.principals_for_deputy(deputy) == [principal]
        assert selectors.deputies_for(principal) == [deputy]
    with time_machine.travel(start + timedelta(days=3), tick=False):
        # The end is exclusive: at the end instant the delegation is over.
        assert not selectors.may_act_for(deputy, principal)
    at = start + timedelta(days=1)
    assert selectors.may_act_for(deputy, principal, at=at)
    # The deputy cannot act for anyone else, nor the principal for the deputy.
    assert not selectors.may_act_for(principal, deputy, at=at)
    assert not selectors.may_act_for(deputy, org.bucho, at=at)


def test_revoked_or_inactive_delegation_does_not_count(org):
    now = datetime(2026, 12, 1, 9, 0, tzinfo=JST)
    delegation = Delegation.objects.create(
        principal=org.bucho,
        deputy=org.zaisei_kacho,
        start_at=now - timedelta(days=1),
        end_at=now + timedelta(days=1),
    )
    assert selectors.may_act_for(org.zaisei_kacho, org.bucho, at=now)
    delegation.is_revoked = True
    delegation.save(update_fields=["is_revoked"])
    assert not selectors.may_act_for(org.zaisei_kacho, org.bucho, at=now)
    delegation.is_revoked = False
    delegation.save(update_fields=["is_revoked"])
    org.zaisei_kacho.is_active = False
    org.zaisei_kacho.save(update_fields=["is_active"])
    assert not selectors.may_act_for(org.zaisei_kacho, org.bucho, at=now)


def test_delegation_to_oneself_is_refused_by_the_database(org):
    from django.db import IntegrityError, transaction

    now = datetime(2026, 12, 1, tzinfo=JST)
    with pytest.raises(IntegrityError), transaction.atomic():
        Delegation.objects.create(
            principal=org.bucho, deputy=org.bucho, start_at=now, end_at=now + timedelta(days=1)
        )


def test_document_number_prefix_defaults_to_ko_plus_first_character(org):
    assert org.zaisei.effective_doc_number_prefix == "交財"
    org.zaisei.doc_number_prefix = "交財政"
    assert org.zaisei.effective_doc_number_prefix == "交財政"


def test_absence_is_only_inside_its_period(org):
    now = datetime(2026, 12, 1, 9, 0, tzinfo=JST)
    org.bucho.absences.create(start_at=now, end_at=now + timedelta(hours=8))
    assert selectors.person_is_absent(org.bucho, at=now + timedelta(hours=1))
    assert not selectors.person_is_absent(org.bucho, at=now + timedelta(hours=8))
    assert not selectors.person_is_absent(org.bucho, at=now - timedelta(minutes=1))
