"""The demo city: shipped LDIF and seed_demo come from one source and describe a sane org."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth import authenticate, get_user_model

from directory import selectors
from directory.demo import (
    ADMIN_USERNAME,
    AUDITOR_USERNAME,
    DEMO_PASSWORD,
    PEOPLE,
    demo_ldif,
    seed_demo_city,
)
from directory.models import OrgUnit, Person

LDIF = Path(__file__).resolve().parent.parent / "ldif" / "demo_city.ldif"


def test_shipped_ldif_is_generated_from_the_demo_data():
    # Regenerate with: python -m directory.demo > tests/ldif/demo_city.ldif
    assert LDIF.read_text(encoding="utf-8") == demo_ldif(salt=b"demo")


@pytest.mark.django_db
def test_seed_demo_builds_the_city_and_is_idempotent(rf):
    first = seed_demo_city()
    assert first.people_created == len(PEOPLE)
    assert 30 <= Person.objects.filter(kind=Person.Kind.STAFF).count() <= 60
    second = seed_demo_city()
    assert second.changes == 0

    def unit(name: str) -> OrgUnit:
        return OrgUnit.objects.get(name=name)

    assert [p.username for p in selectors.persons_with_title("市長")] == ["yamamoto.hiroyuki"]
    assert unit("財政課").parent == unit("総務部")
    assert unit("財政係").level == OrgUnit.Level.SECTION
    assert selectors.unit_head(unit("財政課")).username == "yamaguchi.satoshi"
    assert selectors.unit_head(unit("議会事務局")).username == "fujiwara.isamu"
    assert selectors.unit_head(unit("契約係")) is None  # the demo's vacancy
    # 前田 is 課長補佐 in 市民課 and, concurrently, 窓口係長.
    assert selectors.unit_head(unit("窓口係")).username == "maeda.kenta"
    every_division_has_a_head = all(
        selectors.unit_head(u) is not None for u in OrgUnit.objects.filter(level=2)
    )
    assert every_division_has_a_head

    user_model = get_user_model()
    assert user_model.objects.get(username=ADMIN_USERNAME).is_superuser
    assert user_model.objects.get(username=AUDITOR_USERNAME).has_perm("audit.view_auditevent")
    request = rf.post("/accounts/login/")
    user = authenticate(request, username="inoue.takuya", password=DEMO_PASSWORD)
    assert user is not None
    assert user.username == "inoue.takuya"
    assert authenticate(request, username="inoue.takuya", password="wrong") is None
