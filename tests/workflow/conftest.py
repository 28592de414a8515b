"""A city for route building: 特別職, two 部 with 課 and 係, and a 議会事務局.

特別職 (市長, 副市長)
総務部 (部長) > 総務課 > 総務係 · 人事課 > 人事係 · 財政課 (課長, 課長補佐) > 財政係
             · 契約検査課 > 契約係 (no 係長: a 主任 and a 主事)
市民部 (部長) > 市民課 (課長, 課長補佐) > 窓口係 · 税務課 > 市民税係
議会事務局 (局長) > 議事課 > 議事係

People are looked up by username: ``city.p("madoguchi_staff")``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from rest_framework.test import APIClient

from directory.models import OrgUnit, Person
from tests.factories import AssignmentFactory, OrgUnitFactory, PositionFactory, make_person
from workflow.models import (
    ApprovalLevel,
    AuthorityRule,
    AuthorityRuleSet,
    Category,
    ConsultationRule,
)

# (部, head title, head username, [(課, 課 people, 係, 係 people)]); people are (username, title).
CHART = [
    (
        "総務部",
        "部長",
        "somu_bucho",
        [
            (
                "総務課",
                [("somu_kacho", "課長")],
                "総務係",
                [("somu_kakaricho", "係長"), ("somu_staff", "主事")],
            ),
            (
                "人事課",
                [("jinji_kacho", "課長")],
                "人事係",
                [("jinji_kakaricho", "係長"), ("jinji_staff", "主事")],
            ),
            (
                "財政課",
                [("zaisei_kacho", "課長"), ("zaisei_hosa", "課長補佐")],
                "財政係",
                [("zaisei_kakaricho", "係長"), ("zaisei_staff", "主事")],
            ),
            (
                "契約検査課",
                [("keiyaku_kacho", "課長")],
                "契約係",
                [("keiyaku_shunin", "主任"), ("keiyaku_staff", "主事")],
            ),
        ],
    ),
    (
        "市民部",
        "部長",
        "shimin_bucho",
        [
            (
                "市民課",
                [("shimin_kacho", "課長"), ("shimin_hosa", "課長補佐")],
                "窓口係",
                [("madoguchi_kakaricho", "係長"), ("madoguchi_staff", "主事")],
            ),
            (
                "税務課",
                [("zeimu_kacho", "課長")],
                "市民税係",
                [("zeimu_kakaricho", "係長"), ("zeimu_staff", "主事")],
            ),
        ],
    ),
    (
        "議会事務局",
        "局長",
        "gikai_kyokucho",
        [
            (
                "議事課",
                [("giji_kacho", "課長")],
                "議事係",
                [("giji_kakaricho", "係長"), ("giji_staff", "主事")],
            )
        ],
    ),
]


@dataclass
class City:
    units: dict[str, OrgUnit] = field(default_factory=dict)
    people: dict[str, Person] = field(default_factory=dict)

    def p(self, username: str) -> Person:
        return self.people[username]

    def u(self, name: str) -> OrgUnit:
        return self.units[name]

    def add(self, username: str, unit: str, title: str) -> Person:
        person = make_person(username, f"{unit} {title} ({username})", self.units[unit], title)
        self.people[username] = person
        return person

    def add_post(self, username: str, unit: str, title: str) -> None:
        """A concurrent post (兼務)."""
        AssignmentFactory(
            person=self.p(username),
            unit=self.units[unit],
            position=PositionFactory(title=title),
            is_primary=False,
        )

    def deactivate(self, username: str) -> None:
        person = self.p(username)
        person.is_active = False
        person.save(update_fields=["is_active"])


@pytest.fixture
def city(db) -> City:
    L = OrgUnit.Level
    city = City()
    city.units["特別職"] = OrgUnitFactory(name="特別職", level=L.DEPARTMENT)
    city.add("mayor", "特別職", "市長")
    city.add("deputy", "特別職", "副市長")
    for order, (bu, title, head, kas) in enumerate(CHART, start=1):
        city.units[bu] = OrgUnitFactory(name=bu, level=L.DEPARTMENT, sort_order=order)
        city.add(head, bu, title)
        for ka, ka_people, kakari, kakari_people in kas:
            city.units[ka] = OrgUnitFactory(name=ka, level=L.DIVISION, parent=city.units[bu])
            city.units[kakari] = OrgUnitFactory(name=kakari, level=L.SECTION, parent=city.units[ka])
            for username, person_title in ka_people:
                city.add(username, ka, person_title)
            for username, person_title in kakari_people:
                city.add(username, kakari, person_title)
    return city


def make_ruleset(
    *,
    version: int,
    effective_on: date,
    authority: list[tuple[str, int, int | None, str]],
    consultations: list[tuple[str, int, int | None, str]] = (),
) -> AuthorityRuleSet:
    """A rule set straight in the database (the admin refuses past dates; tests need them)."""
    ruleset = AuthorityRuleSet.objects.create(version=version, effective_on=effective_on)
    for category, amount_min, amount_max, level in authority:
        AuthorityRule.objects.create(
            ruleset=ruleset,
            category=Category.objects.get(code=category),
            amount_min=amount_min,
            amount_max=amount_max,
            final_level=ApprovalLevel.objects.get(code=level),
        )
    for category, amount_min, amount_max, unit_name in consultations:
        ConsultationRule.objects.create(
            ruleset=ruleset,
            category=Category.objects.get(code=category),
            amount_min=amount_min,
            amount_max=amount_max,
            unit_name=unit_name,
        )
    return ruleset


@pytest.fixture
def as_(city):
    """An API client signed in as one of the city's people (modules may override it)."""

    def client_for(username: str) -> APIClient:
        client = APIClient()
        # A fresh user each time: permissions are cached on the instance.
        client.force_authenticate(get_user_model().objects.get(pk=city.p(username).user_id))
        return client

    return client_for


@pytest.fixture
def media_root(settings, tmp_path):
    """Stored files go to this test's own directory."""
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = str(root)
    return root


@pytest.fixture
def web_as(city):
    """A browser-like client signed in (session) as one of the city's people."""

    def client_for(username: str) -> Client:
        client = Client()
        user = get_user_model().objects.get(pk=city.p(username).user_id)
        client.force_login(user, backend="directory.backends.LocalAccountBackend")
        return client

    return client_for
