"""Finding a unit from free text (AD's department, a reorganisation file): UnitIndex."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from directory.integrations.ldap import DirectoryConfig, account_expires_at, person_entry
from directory.models import OrgUnit
from directory.unitmatch import AMBIGUOUS, EMPTY, UNKNOWN, UnitIndex


def units() -> list[OrgUnit]:
    rows = [
        OrgUnit(pk=1, name="総務部", level=1, code="A-1000"),
        OrgUnit(pk=2, name="総務課", level=2, parent_id=1, code="総務課"),
        OrgUnit(pk=3, name="文書法規係", level=3, parent_id=2),
        OrgUnit(pk=4, name="市民部", level=1),
        OrgUnit(pk=5, name="総務課", level=2, parent_id=4),
        OrgUnit(pk=6, name="子育て・健康部", level=1),
        OrgUnit(pk=7, name="旧課", level=2, parent_id=1, is_active=False),
    ]
    return rows


@pytest.mark.parametrize(
    "ref",
    [
        "文書法規係",
        "総務部総務課文書法規係",
        "総務部/総務課/文書法規係",
        "総務部／総務課　文書法規係",
        "総務部 > 総務課 > 文書法規係",
        "総務課文書法規係",
        " 総務部総務課文書法規係 ",
    ],
)
def test_a_unit_is_found_by_name_or_path_with_or_without_separators(ref):
    unit, reason = UnitIndex(units()).resolve(ref)
    assert (unit.pk if unit else None, reason) == (3, "")


def test_codes_names_with_a_middle_dot_and_the_reasons():
    index = UnitIndex(units())
    assert index.resolve("A-1000")[0].pk == 1
    assert index.resolve("ａ－１０００")[0].pk == 1  # full-width, as typed on a Japanese keyboard
    assert index.resolve("子育て・健康部")[0].pk == 6
    assert index.resolve("総務課") == (None, AMBIGUOUS)
    assert index.resolve("市民部総務課")[0].pk == 5
    assert index.resolve("企画課") == (None, UNKNOWN)
    assert index.resolve("旧課") == (None, UNKNOWN)  # closed units place nobody
    assert index.resolve("  ") == (None, EMPTY)
    assert index.path(index.by_id[3]) == "総務部/総務課/文書法規係"


def test_account_expires():
    assert account_expires_at("0") is None
    assert account_expires_at("9223372036854775807") is None
    assert account_expires_at("132223104000000000") == datetime(2020, 1, 1, tzinfo=UTC)


def test_inside_an_ou_the_ou_wins_and_concurrent_posts_come_from_their_attribute():
    config = DirectoryConfig(
        url="ldap://127.0.0.1:1",
        bind_dn="",
        bind_password="",
        user_base="dc=x",
        org_base="ou=org,dc=x",
        user_filter="(objectClass=user)",
        attr_username="sAMAccountName",
        attr_unit="department",
        attr_title="title",
        timeout=5,
        attr_concurrent="departmentNumber",
    )
    entry = person_entry(
        "cn=a,ou=財政課,ou=org,dc=x",
        {
            "sAMAccountName": ["a"],
            "department": ["なんでも"],
            "title": ["課長"],
            "departmentNumber": ["総務部/総務課|課長補佐", "契約検査課"],
            "accountExpires": ["9223372036854775807"],
        },
        config,
    )
    assert [(p.unit, p.title) for p in entry.posts] == [
        ("ou=財政課,ou=org,dc=x", "課長"),
        ("総務部/総務課", "課長補佐"),
        ("契約検査課", "課長"),
    ]
    assert not entry.is_disabled
