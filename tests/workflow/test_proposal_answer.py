"""The proposal answer of the approval API (issue 14, item 4): formatted without running the DRF
serializer, and after a task action built from the proposal the service held, not read again.
Both must give exactly what the documented schema (``ProposalOutput``) and ``GET proposals/{id}/``
give."""

from __future__ import annotations

import json

import pytest
from rest_framework.renderers import JSONRenderer

from tests.workflow.test_attachments import attach
from tests.workflow.test_proposal_api import (
    API,
    DRAFTER,
    KACHO,
    KAKARI,
    new_proposal,
    post,
    task_of,
)
from workflow.models import Proposal
from workflow.proposals.api import ProposalOutput, proposal_data, proposal_values

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]

EXTRA_APPROVER = "zeimu_kakaricho"


def rendered(data) -> dict:
    return json.loads(JSONRenderer().render(data))


def assert_same_as_the_serializer(proposal_id: int) -> dict:
    proposal = Proposal.objects.get(pk=proposal_id)
    fast = proposal_data(proposal)
    documented = ProposalOutput(proposal_values(proposal)).data
    assert fast == documented
    assert rendered(fast) == rendered(documented)
    return fast


def test_the_answer_is_the_serializers_in_every_state(as_):
    proposal = new_proposal(
        as_, due_on="2027-03-31", reviewers={"approve": [EXTRA_APPROVER]}, amount=1200
    )
    assert attach(as_, proposal["id"]).status_code == 201
    draft = assert_same_as_the_serializer(proposal["id"])
    assert draft["due_on"] == "2027-03-31"
    assert draft["reviewers"] == {"approve": [EXTRA_APPROVER], "consult": []}
    assert draft["attachments"]
    assert draft["history"]

    assert post(as_, DRAFTER, f"proposals/{proposal['id']}/submit/").status_code == 200
    in_review = assert_same_as_the_serializer(proposal["id"])
    # Datetimes as DRF writes them: the current time zone (Asia/Tokyo), ISO 8601.
    assert in_review["submitted_at"].endswith("+09:00")

    for username in (KAKARI, EXTRA_APPROVER):
        task = task_of(as_, username, proposal["id"])
        response = post(as_, username, f"tasks/{task['id']}/approve/", {"comment": "確認"})
        assert response.status_code == 200, response.content
    task = task_of(as_, KACHO, proposal["id"])
    decided = post(as_, KACHO, f"tasks/{task['id']}/approve/").json()
    assert decided["status"] == "approved"
    assert decided["document_number"]
    assert decided == assert_same_as_the_serializer(proposal["id"])


@pytest.mark.parametrize("action", ["approve", "send-back", "reject"])
def test_a_task_actions_answer_equals_reading_the_proposal_afterwards(as_, action):
    proposal = new_proposal(as_)
    assert post(as_, DRAFTER, f"proposals/{proposal['id']}/submit/").status_code == 200
    if action == "reject":  # only the final approver rejects
        task = task_of(as_, KAKARI, proposal["id"])
        assert post(as_, KAKARI, f"tasks/{task['id']}/approve/").status_code == 200
    username = KACHO if action == "reject" else KAKARI
    task = task_of(as_, username, proposal["id"])

    answer = post(as_, username, f"tasks/{task['id']}/{action}/", {"comment": "理由"})

    assert answer.status_code == 200, answer.content
    expected_status = {"approve": "in_review", "send-back": "returned", "reject": "rejected"}
    assert answer.json()["status"] == expected_status[action]
    assert answer.json() == as_(DRAFTER).get(f"{API}proposals/{proposal['id']}/").json()
