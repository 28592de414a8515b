"""Proposals are found by search as soon as they are saved (CONTRACT: search covers proposals)."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def _client(person) -> APIClient:
    client = APIClient()
    client.force_authenticate(person.user)
    return client


def _hits(person, q: str) -> list[int]:
    response = _client(person).get("/api/v1/search/", {"q": q})
    assert response.status_code == 200
    return [r["id"] for r in response.json()["results"] if r["kind"] == "proposal"]


def test_a_new_proposal_is_searchable_by_title_and_body_for_who_may_see_it(city):
    drafter = city.p("zaisei_staff")
    created = _client(drafter).post(
        "/api/v1/proposals/",
        {
            "title": "棚田保全事業の補助金",
            "body": "令和8年度の補正予算で計上する。",
            "category": "general",
        },
        format="json",
    )
    assert created.status_code == 201
    pid = created.json()["id"]
    assert _hits(drafter, "棚田") == [pid]
    assert _hits(drafter, "補正予算") == [pid]
    # Someone outside the drafter's chain and route never sees it, not even in search.
    assert _hits(city.p("jinji_staff"), "棚田") == []


def test_an_edited_proposal_is_found_by_its_new_title_only(city):
    drafter = city.p("zaisei_staff")
    client = _client(drafter)
    pid = client.post(
        "/api/v1/proposals/", {"title": "公用車の購入", "category": "general"}, format="json"
    ).json()["id"]
    patched = client.patch(f"/api/v1/proposals/{pid}/", {"title": "庁舎照明の更新"}, format="json")
    assert patched.status_code == 200
    assert _hits(drafter, "照明") == [pid]
    assert _hits(drafter, "公用車") == []


def test_a_refused_proposal_leaves_nothing_in_the_index(city):
    drafter = city.p("zaisei_staff")
    refused = _client(drafter).post(
        "/api/v1/proposals/",
        {"title": "棚田の草刈り", "category": "no-such-category"},
        format="json",
    )
    assert refused.status_code == 400
    assert _hits(drafter, "草刈") == []
