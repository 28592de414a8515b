"""Optional reviewers (issue 3, item 2): the drafter adds extra 回議 steps or 合議 parties; they
are kept with the proposal, are on every round's route as optional steps, and never replace or
remove a required step.

A 主事 of 市民課 > 窓口係 drafts an expenditure of 10,000,000 yen: 窓口係長, 市民課長, 市民部長,
合議 with 財政課長, the 副市長 decides.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from audit.exceptions import ValidationFailed
from audit.models import AuditEvent
from workflow.models import ProposalReviewer
from workflow.proposals import services

pytestmark = pytest.mark.django_db

DRAFTER, KAKARI, KACHO, BUCHO = (
    "madoguchi_staff",
    "madoguchi_kakaricho",
    "shimin_kacho",
    "shimin_bucho",
)
DECIDER = "deputy"  # the 副市長
ZAISEI = "zaisei_kacho"  # the required 合議 (財政課, expenditure ≥ 10,000,000)
EXTRA_APPROVER = "zeimu_kakaricho"
EXTRA_CONSULTEE = "keiyaku_kacho"
API = "/api/v1/"


@pytest.fixture
def as_(city):
    def client_for(username: str) -> APIClient:
        client = APIClient()
        client.force_authenticate(get_user_model().objects.get(pk=city.p(username).user_id))
        return client

    return client_for


def create(as_, reviewers: dict | None = None, **data):
    payload = {"title": "窓口端末の更新", "category": "expenditure", "amount": 10_000_000}
    if reviewers is not None:
        payload["reviewers"] = reviewers
    return as_(DRAFTER).post(f"{API}proposals/", {**payload, **data}, format="json")


def with_both(as_) -> dict:
    response = create(as_, {"approve": [EXTRA_APPROVER], "consult": [EXTRA_CONSULTEE]})
    assert response.status_code == 201, response.content
    return response.json()


def shape(route: list[dict]) -> list[tuple]:
    return [(s["order"], s["kind"], s["approver"], s["optional"]) for s in route]


def approve(as_, username: str, proposal_id: int):
    tasks = as_(username).get(f"{API}tasks/").json()
    task = next(t for t in tasks if t["proposal"] == proposal_id)
    response = as_(username).post(f"{API}tasks/{task['id']}/approve/", {}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def pending(proposal: dict) -> set[str]:
    return {s["approver"] for s in proposal["route"] if s["state"] == "pending"}


def test_optional_approver_comes_before_the_consultation_and_consultee_joins_it(as_):
    proposal = with_both(as_)

    assert shape(proposal["route"]) == [
        (1, "approve", KAKARI, False),
        (2, "approve", KACHO, False),
        (3, "approve", BUCHO, False),
        (4, "approve", EXTRA_APPROVER, True),
        (5, "consult", ZAISEI, False),
        (5, "consult", EXTRA_CONSULTEE, True),
        (6, "decide", DECIDER, False),
    ]
    assert proposal["reviewers"] == {"approve": [EXTRA_APPROVER], "consult": [EXTRA_CONSULTEE]}
    assert "起案者による追加" in proposal["route"][3]["reason"]  # the reason says who added it
    assert as_(DRAFTER).get(f"{API}proposals/{proposal['id']}/").json()["route"][3]["optional"]


def test_the_optional_consultee_must_agree_too(as_):
    proposal = with_both(as_)
    pid = proposal["id"]
    assert as_(DRAFTER).post(f"{API}proposals/{pid}/submit/").status_code == 200
    for username in (KAKARI, KACHO, BUCHO, EXTRA_APPROVER):
        current = approve(as_, username, pid)
    assert pending(current) == {ZAISEI, EXTRA_CONSULTEE}

    current = approve(as_, ZAISEI, pid)
    assert pending(current) == {EXTRA_CONSULTEE}  # the decider waits for the optional 合議

    current = approve(as_, EXTRA_CONSULTEE, pid)
    assert pending(current) == {DECIDER}
    decided = approve(as_, DECIDER, pid)
    assert decided["status"] == "approved"


def test_optional_reviewers_survive_a_send_back_and_resubmission(as_):
    pid = with_both(as_)["id"]
    assert as_(DRAFTER).post(f"{API}proposals/{pid}/submit/").status_code == 200
    task = next(t for t in as_(KAKARI).get(f"{API}tasks/").json() if t["proposal"] == pid)
    back = as_(KAKARI).post(f"{API}tasks/{task['id']}/send-back/", {"comment": "金額を確認"})
    assert back.json()["status"] == "returned"

    resubmitted = as_(DRAFTER).post(f"{API}proposals/{pid}/submit/").json()

    assert resubmitted["round"] == 2
    optional = [(s["kind"], s["approver"]) for s in resubmitted["route"] if s["optional"]]
    assert optional == [("approve", EXTRA_APPROVER), ("consult", EXTRA_CONSULTEE)]


def test_a_required_approver_named_as_extra_is_not_duplicated(as_, city):
    response = create(as_, {"approve": [KAKARI, KACHO], "consult": [ZAISEI, BUCHO]})

    assert response.status_code == 201, response.content
    route = response.json()["route"]
    assert shape(route) == [
        (1, "approve", KAKARI, False),
        (2, "approve", KACHO, False),
        (3, "approve", BUCHO, False),
        (4, "consult", ZAISEI, False),
        (5, "decide", DECIDER, False),
    ]
    notes = response.json()["explanations"]
    assert any(city.p(KAKARI).display_name in note for note in notes)  # "already on the route"


def test_unknown_or_inactive_usernames_are_refused_by_name(as_, city):
    city.deactivate("zeimu_staff")

    response = create(as_, {"approve": ["nobody"], "consult": ["zeimu_staff"]})
    assert response.status_code == 400
    assert "nobody" in response.json()["detail"]

    response = create(as_, {"consult": ["zeimu_staff", "ghost"]})
    assert response.status_code == 400
    assert "zeimu_staff" in response.json()["detail"]
    assert "ghost" in response.json()["detail"]
    assert not ProposalReviewer.objects.exists()


def test_the_drafter_cannot_add_themselves(as_):
    for reviewers in ({"approve": [DRAFTER]}, {"consult": [DRAFTER]}):
        response = create(as_, reviewers)
        assert response.status_code == 400
        assert response.json()["detail"]


def test_one_person_cannot_be_both_an_extra_approver_and_consultee(as_):
    response = create(as_, {"approve": [EXTRA_APPROVER], "consult": [EXTRA_APPROVER]})
    assert response.status_code == 400


def test_patch_changes_the_reviewers_of_a_draft_and_its_preview(as_):
    pid = with_both(as_)["id"]
    url = f"{API}proposals/{pid}/"

    response = as_(DRAFTER).patch(url, {"reviewers": {"consult": []}}, format="json")

    assert response.status_code == 200, response.content
    data = response.json()
    assert data["reviewers"] == {"approve": [EXTRA_APPROVER], "consult": []}
    assert [s["approver"] for s in data["route"] if s["optional"]] == [EXTRA_APPROVER]

    response = as_(DRAFTER).patch(url, {"title": "新しい件名", "amount": 100}, format="json")
    assert response.json()["title"] == "新しい件名"
    # Under 1,000,000 the 課長 decides; the extra approver stays, before the decider.
    assert shape(response.json()["route"]) == [
        (1, "approve", KAKARI, False),
        (2, "approve", EXTRA_APPROVER, True),
        (3, "decide", KACHO, False),
    ]
    event = AuditEvent.objects.filter(action="workflow.proposal_updated").first()
    assert event is not None


def test_patch_refusals(as_):
    pid = with_both(as_)["id"]
    url = f"{API}proposals/{pid}/"
    assert (
        as_(DRAFTER).patch(url, {"reviewers": {"approve": ["nobody"]}}, format="json").status_code
        == 400
    )
    assert (
        as_(DRAFTER).patch(url, {"reviewers": {"approve": [DRAFTER]}}, format="json").status_code
        == 400
    )
    assert as_("zeimu_staff").patch(url, {"title": "x"}, format="json").status_code == 404
    assert as_(DRAFTER).post(f"{url}submit/").status_code == 200
    assert as_(KAKARI).patch(url, {"title": "x"}, format="json").status_code == 403
    assert as_(DRAFTER).patch(url, {"title": "x"}, format="json").status_code == 409


def test_services_refuse_the_drafter_and_keep_required_steps(city):
    drafter = city.p(DRAFTER)
    with pytest.raises(ValidationFailed):
        services.proposal_create(
            actor=drafter.user, title="t", category="general", extra_consultees=[drafter]
        )
    proposal = services.proposal_create(
        actor=drafter.user,
        title="t",
        category="general",
        extra_approvers=[city.p(KACHO), city.p(EXTRA_APPROVER)],
    )
    steps = list(proposal.steps.order_by("order"))
    assert [(s.approver.username, s.is_optional) for s in steps] == [
        (KAKARI, False),
        (EXTRA_APPROVER, True),
        (KACHO, False),
    ]
