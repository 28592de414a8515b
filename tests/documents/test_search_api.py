"""``GET /api/v1/search/?q=`` and the search page: statuses, shapes and visibility."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth.models import Permission
from rest_framework.test import APIClient

from documents.search import index_upsert
from workflow.models import Category
from workflow.proposals.models import Proposal
from workflow.proposals.search import proposal_entry

pytestmark = pytest.mark.django_db
URL = "/api/v1/search/"


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def auditor(django_user_model):
    user = django_user_model.objects.create(username="auditor")
    user.user_permissions.add(Permission.objects.get(codename="view_auditevent"))
    return django_user_model.objects.get(pk=user.pk)  # fresh: permissions are cached


@pytest.fixture
def proposals(org):
    """A proposal of 財政課's 主事 and one of 契約検査課's 主任, indexed as workflow would."""
    made = []
    for drafter, unit, title in [
        (org.zaisei_staff, org.zaisei, "令和7年度補正予算（第3号）の編成について"),
        (org.keiyaku_staff, org.keiyaku, "棚田保全業務の随意契約について"),
    ]:
        proposal = Proposal.objects.create(
            title=title,
            body="会計年度任用職員の報酬を含む補正予算を計上する。",
            category=Category.objects.get(code="general"),
            drafter=drafter,
            drafting_unit=unit,
        )
        index_upsert(**vars(proposal_entry(proposal)))
        made.append(proposal)
    return made


def test_anonymous_gets_401():
    response = APIClient().get(URL, {"q": "予算"})
    assert response.status_code == 401


@pytest.mark.parametrize("q", ["", "予", " 予 ", "ｱ"])
def test_empty_or_one_character_query_is_400(org, q):
    response = client_for(org.zaisei_staff.user).get(URL, {"q": q})
    assert response.status_code == 400
    assert "2" in response.json()["detail"]


def test_too_long_query_and_bad_paging_are_400(org):
    client = client_for(org.zaisei_staff.user)
    assert client.get(URL, {"q": "予" * 101}).status_code == 400
    assert client.get(URL, {"q": "予算", "limit": 0}).status_code == 400
    assert client.get(URL, {"q": "予算", "offset": -1}).status_code == 400


def test_results_are_the_proposals_the_caller_may_see(org, proposals):
    mine, _theirs = proposals
    response = client_for(org.zaisei_staff.user).get(URL, {"q": "ﾎｾｲﾖｻﾝ"})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 0  # katakana is not kanji: normalisation does not transliterate
    body = client_for(org.zaisei_staff.user).get(URL, {"q": "補正予算"}).json()
    assert body["query"] == "補正予算"
    assert body["count"] == 1
    [hit] = body["results"]
    assert (hit["kind"], hit["id"]) == ("proposal", mine.pk)
    assert hit["title"] == mine.title
    assert "<mark>補正予算</mark>" in hit["snippet"]
    assert set(hit) == {"kind", "id", "title", "snippet", "rank", "url"}


def test_a_hit_the_caller_may_not_see_leaks_nothing(org, proposals):
    _mine, theirs = proposals
    response = client_for(org.zaisei_staff.user).get(URL, {"q": "棚田"})
    assert response.status_code == 200
    assert response.json() == {"query": "棚田", "count": 0, "results": []}
    assert "保全業務" not in response.content.decode()
    own = client_for(org.keiyaku_staff.user).get(URL, {"q": "棚田"}).json()
    assert [r["id"] for r in own["results"]] == [theirs.pk]


def test_a_user_without_a_directory_person_sees_nothing(django_user_model, proposals):
    # workflow's selector answers .none() for them: compiled as "no rows", not an error.
    stranger = django_user_model.objects.create(username="stranger")
    body = client_for(stranger).get(URL, {"q": "補正予算"}).json()
    assert body == {"query": "補正予算", "count": 0, "results": []}


def test_an_auditor_sees_every_hit(auditor, proposals):
    body = client_for(auditor).get(URL, {"q": "会計年度任用職員"}).json()
    assert body["count"] == 2
    assert {r["id"] for r in body["results"]} == {p.pk for p in proposals}


def test_paging(auditor, proposals):
    first = client_for(auditor).get(URL, {"q": "について", "limit": 1}).json()
    second = client_for(auditor).get(URL, {"q": "について", "limit": 1, "offset": 1}).json()
    assert first["count"] == second["count"] == 2
    assert {first["results"][0]["id"], second["results"][0]["id"]} == {p.pk for p in proposals}


def test_search_page_shows_highlighted_hits(client, org, proposals):
    client.force_login(org.zaisei_staff.user)
    response = client.get("/records/search/", {"q": "補正予算"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<mark>補正予算</mark>" in html
    assert "棚田保全業務" not in html


def test_search_page_explains_a_short_query_and_needs_sign_in(client, org):
    assert client.get("/records/search/", {"q": "予算"}).status_code == 302
    client.force_login(org.zaisei_staff.user)
    response = client.get("/records/search/", {"q": "予"})
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()


def test_a_confidential_document_hit_reaches_its_unit_and_auditors_only(org, auditor):
    """Through the records selector: the title and snippet never reach an outsider."""
    from documents import services
    from tests.documents.conftest import make_docx

    data = make_docx(["会計年度任用職員の人事評価（極秘）"])
    document = services.document_upload(
        actor=org.zaisei_staff.user,
        content=io.BytesIO(data),
        name="評価.docx",
        size_bytes=len(data),
        title="人事評価記録",
        classification="confidential",
    )
    services.extraction_run(version_id=document.current_version_id)

    def results(user) -> list[dict]:
        response = client_for(user).get(URL, {"q": "人事評価"})
        assert response.status_code == 200
        return response.json()["results"]

    assert results(org.keiyaku_staff.user) == []
    assert (
        "人事評価記録"
        not in client_for(org.keiyaku_staff.user).get(URL, {"q": "評価"}).content.decode()
    )
    for user in (org.zaisei_kacho.user, org.zaisei_staff.user, auditor):
        [hit] = results(user)
        assert (hit["kind"], hit["id"], hit["title"]) == ("document", document.pk, "人事評価記録")
        assert hit["url"] == f"/records/documents/{document.pk}/"
        assert "<mark>人事評価</mark>" in hit["snippet"]


def test_search_reindex_rebuilds_from_the_objects(org, auditor, proposals):
    from django.core.management import call_command

    from documents.search import index_delete

    for proposal in proposals:
        index_delete(kind="proposal", object_id=proposal.pk)
    index_upsert(
        kind="proposal",
        object_id=999_999,
        title="消えた起案の補正予算",
        text="",
        owner_unit_id=None,
        classification="internal",
    )
    call_command("search_reindex", "proposal", stdout=io.StringIO())
    body = client_for(auditor).get(URL, {"q": "補正予算"}).json()
    assert {(r["kind"], r["id"]) for r in body["results"]} == {
        ("proposal", p.pk) for p in proposals
    }
