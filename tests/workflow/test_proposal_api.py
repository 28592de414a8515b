"""The approval API of CONTRACT.md ("Approval"): shapes, statuses, visibility and refusals.

A 主事 of 市民課 > 窓口係 drafts; 窓口係長 approves; 市民課長 decides (general matters).
"""

from __future__ import annotations

import io
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import docx
import pypdf
import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.utils import timezone

from workflow.models import ProposalStep

pytestmark = pytest.mark.django_db

DRAFTER, KAKARI, KACHO = "madoguchi_staff", "madoguchi_kakaricho", "shimin_kacho"
API = "/api/v1/"
TOKYO = ZoneInfo("Asia/Tokyo")


def new_proposal(as_, **data) -> dict:
    payload = {
        "title": "窓口の案内表示の更新",
        "body": "案内表示を更新する。",
        "category": "general",
    }
    response = as_(DRAFTER).post(f"{API}proposals/", {**payload, **data}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def submitted(as_, **data) -> dict:
    proposal = new_proposal(as_, **data)
    response = as_(DRAFTER).post(f"{API}proposals/{proposal['id']}/submit/")
    assert response.status_code == 200, response.content
    return response.json()


def task_of(as_, username: str, proposal_id: int) -> dict:
    tasks = as_(username).get(f"{API}tasks/").json()
    return next(t for t in tasks if t["proposal"] == proposal_id)


def post(as_, username: str, url: str, data: dict | None = None):
    return as_(username).post(f"{API}{url}", data or {}, format="json")


# --- create and read --------------------------------------------------------------------------


def test_create_returns_the_draft_with_its_route_in_the_contract_shape(as_):
    proposal = new_proposal(as_, category="expenditure", amount=1_000_000)

    assert proposal["status"] == "draft"
    assert proposal["drafter"] == DRAFTER
    assert (proposal["category"], proposal["amount"]) == ("expenditure", 1_000_000)
    assert proposal["document_number"] is None
    assert proposal["history"][0]["action"] == "created"
    assert {"id", "title", "category", "amount", "status", "drafter", "route"} <= set(proposal)
    assert [
        {k: step[k] for k in ("order", "kind", "approver", "unit", "position", "state")}
        for step in proposal["route"]
    ] == [
        {
            "order": 1,
            "kind": "approve",
            "approver": KAKARI,
            "unit": "窓口係",
            "position": "係長",
            "state": "waiting",
        },
        {
            "order": 2,
            "kind": "approve",
            "approver": KACHO,
            "unit": "市民課",
            "position": "課長",
            "state": "waiting",
        },
        {
            "order": 3,
            "kind": "decide",
            "approver": "shimin_bucho",
            "unit": "市民部",
            "position": "部長",
            "state": "waiting",
        },
    ]
    assert all(step["reason"] for step in proposal["route"])


@pytest.mark.parametrize(
    "data",
    [
        {"title": "", "category": "general"},
        {"title": "x", "category": "nonsense"},
        {"title": "x", "category": "expenditure"},
        {"title": "x", "category": "expenditure", "amount": -1},
        {"category": "general"},
    ],
)
def test_create_refuses_bad_input(as_, data):
    response = as_(DRAFTER).post(f"{API}proposals/", data, format="json")
    assert response.status_code == 400
    assert response.json()["detail"]


def test_anonymous_callers_are_refused(client):
    assert client.get(f"{API}tasks/").status_code in (401, 403)
    assert client.post(f"{API}proposals/", {}).status_code in (401, 403)


def test_visibility_drafter_participants_deputies_auditors_and_nobody_else(as_, city):
    proposal = new_proposal(as_)
    url = f"{API}proposals/{proposal['id']}/"
    # Before submission only the drafter sees the draft.
    assert as_(DRAFTER).get(url).status_code == 200
    assert as_(KAKARI).get(url).status_code == 404
    post(as_, DRAFTER, f"proposals/{proposal['id']}/submit/")

    for username in (DRAFTER, KAKARI, KACHO):
        assert as_(username).get(url).status_code == 200
    for outsider in ("zeimu_staff", "zeimu_kacho", "mayor"):
        assert as_(outsider).get(url).status_code == 404
    assert as_(DRAFTER).get(f"{API}proposals/999999/").status_code == 404

    post(as_, KACHO, "delegations/", _period("shimin_hosa"))
    assert as_("shimin_hosa").get(url).status_code == 200

    auditor = city.p("zeimu_staff").user
    auditor.user_permissions.add(Permission.objects.get(codename="view_auditevent"))
    assert as_("zeimu_staff").get(url).status_code == 200


# --- submit, tasks, approve -------------------------------------------------------------------


def test_submit_approve_and_decide_end_to_end(as_):
    proposal = submitted(as_)
    assert proposal["status"] == "in_review"
    assert [s["state"] for s in proposal["route"]] == ["pending", "waiting"]

    task = task_of(as_, KAKARI, proposal["id"])
    assert {k: task[k] for k in ("proposal", "kind", "acting_for")} == {
        "proposal": proposal["id"],
        "kind": "approve",
        "acting_for": None,
    }
    assert as_(KACHO).get(f"{API}tasks/").json() == []
    response = post(as_, KAKARI, f"tasks/{task['id']}/approve/", {"comment": "確認"})
    assert response.status_code == 200
    assert [s["state"] for s in response.json()["route"]] == ["approved", "pending"]

    task = task_of(as_, KACHO, proposal["id"])
    assert task["kind"] == "decide"
    decided = post(as_, KACHO, f"tasks/{task['id']}/approve/").json()

    assert decided["status"] == "approved"
    assert decided["document_number"] == "交市第1号"
    assert [(h["action"], h["actor"], h["acting_for"]) for h in decided["history"]] == [
        ("created", DRAFTER, None),
        ("submitted", DRAFTER, None),
        ("approved", KAKARI, None),
        ("decided", KACHO, None),
    ]
    assert decided["history"][2]["comment"] == "確認"
    assert decided["history"][0]["at"].endswith("+09:00")


def test_task_refusals_403_409_404(as_):
    proposal = submitted(as_)
    task = task_of(as_, KAKARI, proposal["id"])

    # People who may see the proposal but not act on this task: 403.
    for someone_else in (KACHO, DRAFTER):
        response = post(as_, someone_else, f"tasks/{task['id']}/approve/")
        assert response.status_code == 403
        assert response.json()["detail"]
    # Someone who may not see the proposal at all: the task does not exist for them.
    for action in ("approve", "send-back", "reject"):
        response = post(as_, "zeimu_kacho", f"tasks/{task['id']}/{action}/", {"comment": "x"})
        assert response.status_code == 404
        assert response.json()["detail"]
    assert post(as_, KAKARI, f"tasks/{task['id']}/approve/").status_code == 200
    response = post(as_, KAKARI, f"tasks/{task['id']}/approve/")
    assert response.status_code == 409
    assert response.json()["detail"]
    assert post(as_, KAKARI, "tasks/999999/approve/").status_code == 404


def test_send_back_needs_a_comment_then_returns_to_the_drafter(as_):
    proposal = submitted(as_)
    task = task_of(as_, KAKARI, proposal["id"])

    for data in ({}, {"comment": ""}, {"comment": "  "}):
        assert post(as_, KAKARI, f"tasks/{task['id']}/send-back/", data).status_code == 400
    returned = post(as_, KAKARI, f"tasks/{task['id']}/send-back/", {"comment": "日付を確認"})

    assert returned.status_code == 200
    body = returned.json()
    assert body["status"] == "returned"
    assert [s["state"] for s in body["route"]] == ["returned", "cancelled"]
    assert body["history"][-1]["action"] == "sent_back"
    assert body["history"][-1]["comment"] == "日付を確認"
    assert as_(KAKARI).get(f"{API}tasks/").json() == []

    again = post(as_, DRAFTER, f"proposals/{proposal['id']}/submit/").json()
    assert again["status"] == "in_review"
    assert again["round"] == 2
    assert [h["round"] for h in again["history"]][-1] == 2
    assert [s["state"] for s in again["route"]] == ["pending", "waiting"]


def test_reject_is_for_the_final_approver(as_):
    proposal = submitted(as_)
    task = task_of(as_, KAKARI, proposal["id"])
    assert post(as_, KAKARI, f"tasks/{task['id']}/reject/", {"comment": "否"}).status_code == 403
    post(as_, KAKARI, f"tasks/{task['id']}/approve/")
    task = task_of(as_, KACHO, proposal["id"])

    response = post(as_, KACHO, f"tasks/{task['id']}/reject/", {"comment": "必要性なし"})
    assert response.status_code == 200
    assert response.json()["status"] == "rejected"
    assert response.json()["document_number"] is None


# --- withdraw and cancel ----------------------------------------------------------------------


def test_withdraw_by_the_drafter_only(as_):
    proposal = submitted(as_)
    url = f"proposals/{proposal['id']}/withdraw/"

    assert post(as_, KAKARI, url).status_code == 403
    assert post(as_, "zeimu_staff", url).status_code == 404
    response = post(as_, DRAFTER, url)
    assert response.status_code == 200
    assert response.json()["status"] == "draft"
    assert [s["state"] for s in response.json()["route"]] == ["cancelled", "cancelled"]
    assert as_(KAKARI).get(f"{API}tasks/").json() == []
    assert post(as_, DRAFTER, url).status_code == 409


def test_actions_on_a_cancelled_proposal_conflict(as_):
    proposal = submitted(as_)
    task = task_of(as_, KAKARI, proposal["id"])
    assert post(as_, KAKARI, f"proposals/{proposal['id']}/cancel/").status_code == 403

    response = post(as_, DRAFTER, f"proposals/{proposal['id']}/cancel/")
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"

    assert post(as_, KAKARI, f"tasks/{task['id']}/approve/").status_code == 409
    assert post(as_, KAKARI, f"tasks/{task['id']}/send-back/", {"comment": "x"}).status_code == 409
    for action in ("submit", "withdraw", "cancel"):
        assert post(as_, DRAFTER, f"proposals/{proposal['id']}/{action}/").status_code == 409
    assert as_(DRAFTER).get(f"{API}proposals/{proposal['id']}/").json()["status"] == "cancelled"


# --- 代決 and 後閲 ----------------------------------------------------------------------------


def _period(deputy: str) -> dict:
    now = timezone.now()
    return {
        "deputy": deputy,
        "start": (now - timedelta(hours=1)).isoformat(),
        "end": (now + timedelta(days=2)).isoformat(),
    }


def test_acting_approval_and_post_review_end_to_end(as_):
    proposal = submitted(as_)
    post(as_, KAKARI, f"tasks/{task_of(as_, KAKARI, proposal['id'])['id']}/approve/")

    response = post(as_, KACHO, "delegations/", _period("shimin_hosa"))
    assert response.status_code == 201
    assert {k: response.json()[k] for k in ("principal", "deputy")} == {
        "principal": KACHO,
        "deputy": "shimin_hosa",
    }

    task = task_of(as_, "shimin_hosa", proposal["id"])
    assert (task["kind"], task["acting_for"]) == ("decide", KACHO)
    decided = post(as_, "shimin_hosa", f"tasks/{task['id']}/approve/").json()

    assert decided["status"] == "approved"
    assert decided["document_number"] == "交市第1号"
    assert (decided["history"][-1]["actor"], decided["history"][-1]["acting_for"]) == (
        "shimin_hosa",
        KACHO,
    )
    decide_step = decided["route"][-1]
    assert (decide_step["acted_by"], decide_step["acting_for"]) == ("shimin_hosa", KACHO)

    queue = as_(KACHO).get(f"{API}post-reviews/").json()
    assert [(i["proposal"], i["acted_by"], i["acknowledged_at"]) for i in queue] == [
        (proposal["id"], "shimin_hosa", None)
    ]
    assert as_("shimin_hosa").get(f"{API}post-reviews/").json() == []
    item = queue[0]["id"]
    assert post(as_, "shimin_hosa", f"post-reviews/{item}/ack/").status_code == 404
    assert post(as_, KACHO, f"post-reviews/{item}/ack/").status_code == 409  # not opened yet
    assert as_(KACHO).get(f"{API}proposals/{proposal['id']}/").status_code == 200
    acked = post(as_, KACHO, f"post-reviews/{item}/ack/")
    assert acked.status_code == 200
    assert acked.json()["acknowledged_at"]
    assert post(as_, KACHO, f"post-reviews/{item}/ack/").status_code == 409
    assert as_(KACHO).get(f"{API}post-reviews/").json() == []
    assert len(as_(KACHO).get(f"{API}post-reviews/?all=1").json()) == 1


def test_delegation_input_is_checked(as_):
    now = timezone.now()
    for data in (
        _period("nobody"),
        _period(KACHO),
        {"deputy": "shimin_hosa", "start": now.isoformat(), "end": now.isoformat()},
        {"deputy": "shimin_hosa"},
    ):
        assert post(as_, KACHO, "delegations/", data).status_code == 400


def test_task_list_query_count_does_not_grow_with_tasks(as_, django_assert_max_num_queries):
    for _ in range(5):
        submitted(as_)
    with django_assert_max_num_queries(8):
        tasks = as_(KAKARI).get(f"{API}tasks/").json()
    assert len(tasks) == 5
    assert ProposalStep.objects.filter(state="pending").count() == 5


def test_approve_ahead_over_the_api(as_):
    proposal = submitted(as_, category="expenditure", amount=1_000_000)
    url = f"proposals/{proposal['id']}/approve-ahead/"

    assert post(as_, "zeimu_kacho", url).status_code == 404  # not visible
    assert post(as_, DRAFTER, url).status_code == 403
    assert post(as_, KAKARI, url).status_code == 409
    response = post(as_, KACHO, url, {"comment": "係長出張中"})
    assert response.status_code == 200
    body = response.json()
    assert [s["state"] for s in body["route"]] == ["skipped", "approved", "pending"]
    assert (body["history"][-1]["action"], body["history"][-1]["actor"]) == (
        "approved_ahead",
        KACHO,
    )


# --- the 決裁文書 PDF -------------------------------------------------------------------------


def pdf_text(data: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return re.sub(r"\s+", "", "".join(page.extract_text() for page in reader.pages))


def test_pdf_of_a_decided_proposal_has_names_number_wareki_dates_and_marks(as_, city):
    with time_machine.travel(datetime(2026, 11, 27, 10, 0, tzinfo=TOKYO), tick=False):
        proposal = submitted(as_)
        post(as_, KAKARI, f"tasks/{task_of(as_, KAKARI, proposal['id'])['id']}/approve/")
        post(as_, KACHO, "delegations/", _period("shimin_hosa"))
        task = task_of(as_, "shimin_hosa", proposal["id"])
        post(as_, "shimin_hosa", f"tasks/{task['id']}/approve/")

        response = as_(DRAFTER).get(f"{API}proposals/{proposal['id']}/pdf/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert "決裁文書" in text
    assert "交市第1号" in text
    assert "令和8年11月27日" in text
    assert "課長決裁" in text
    for username in (DRAFTER, KAKARI, "shimin_hosa", KACHO):
        assert re.sub(r"\s+", "", city.p(username).display_name) in text
    assert "代決" in text


def test_pdf_before_the_decision_is_the_drafting_form_and_follows_visibility(as_):
    proposal = new_proposal(as_)
    url = f"{API}proposals/{proposal['id']}/pdf/"
    response = as_(DRAFTER).get(url)
    assert response.status_code == 200
    assert "起案用紙" in pdf_text(response.content)
    assert as_(KAKARI).get(url).status_code == 404
    assert as_("zeimu_staff").get(url).status_code == 404


# --- the 施行 letter --------------------------------------------------------------------------


def docx_text(data: bytes) -> str:
    document = docx.Document(io.BytesIO(data))
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def test_issue_letter_after_the_decision(as_, city):
    proposal = submitted(as_)
    url = f"{API}proposals/{proposal['id']}/issue-letter/?addressee=交野市自治会連合会"
    assert as_(DRAFTER).get(url).status_code == 409  # no number before the decision
    post(as_, KAKARI, f"tasks/{task_of(as_, KAKARI, proposal['id'])['id']}/approve/")
    with time_machine.travel(datetime(2026, 12, 1, 9, 0, tzinfo=TOKYO), tick=False):
        post(as_, KACHO, f"tasks/{task_of(as_, KACHO, proposal['id'])['id']}/approve/")
        response = as_(DRAFTER).get(f"{url}&seal=requested")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    text = docx_text(response.content)
    assert "交市第1号" in text
    assert "令和8年12月1日" in text
    assert "交野市自治会連合会" in text
    assert city.p("mayor").display_name in text
    assert proposal["title"] in text


def test_issue_letter_refusals(as_):
    proposal = submitted(as_)
    base = f"{API}proposals/{proposal['id']}/issue-letter/"
    assert as_(DRAFTER).get(base).status_code == 400  # the addressee is required
    assert as_(DRAFTER).get(f"{base}?addressee=x&seal=stamp").status_code == 400
    assert as_("zeimu_staff").get(f"{base}?addressee=x").status_code == 404


# --- 供覧 -------------------------------------------------------------------------------------


def test_circulation_over_the_api(as_):
    response = as_(DRAFTER).post(
        f"{API}circulations/",
        {"title": "県通知の供覧", "body": "別添のとおり", "recipients": [KAKARI, "zeimu_kacho"]},
        format="json",
    )
    assert response.status_code == 201
    created = response.json()
    assert (created["kind"], created["status"]) == ("circulation", "draft")
    assert [(s["kind"], s["approver"]) for s in created["route"]] == [
        ("circulate", KAKARI),
        ("circulate", "zeimu_kacho"),
    ]
    post(as_, DRAFTER, f"proposals/{created['id']}/submit/")

    task = task_of(as_, "zeimu_kacho", created["id"])
    assert task["kind"] == "circulate"
    refused = post(as_, "zeimu_kacho", f"tasks/{task['id']}/send-back/", {"comment": "x"})
    assert refused.status_code == 403
    assert post(as_, "zeimu_kacho", f"tasks/{task['id']}/approve/").status_code == 200
    task = task_of(as_, KAKARI, created["id"])
    done = post(as_, KAKARI, f"tasks/{task['id']}/approve/").json()
    assert done["status"] == "approved"
    assert done["document_number"] is None
    assert [s["state"] for s in done["route"]] == ["seen", "seen"]
    pdf = as_(DRAFTER).get(f"{API}proposals/{created['id']}/pdf/")
    assert pdf.status_code == 200


@pytest.mark.parametrize(
    "data",
    [
        {"title": "x", "recipients": []},
        {"title": "x", "recipients": ["nobody"]},
        {"title": "x", "recipients": [DRAFTER]},
        {"title": "x"},
    ],
)
def test_circulation_bad_input(as_, data):
    assert as_(DRAFTER).post(f"{API}circulations/", data, format="json").status_code == 400


def test_my_tasks_are_listed_oldest_task_first_not_by_proposal(as_):
    """The inbox orders by when the task reached me: a proposal drafted first but submitted
    later comes after one submitted earlier."""
    first_drafted = new_proposal(as_, title="先に起案")
    later_drafted = new_proposal(as_, title="後に起案")
    with time_machine.travel(timezone.now() + timedelta(minutes=1)):
        post(as_, DRAFTER, f"proposals/{later_drafted['id']}/submit/")
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        post(as_, DRAFTER, f"proposals/{first_drafted['id']}/submit/")
    tasks = as_(KAKARI).get(f"{API}tasks/").json()
    assert [t["proposal"] for t in tasks] == [later_drafted["id"], first_drafted["id"]]


def test_the_inbox_lookup_is_an_index_only_scan_of_the_inbox_index(as_, city):
    """viewflow ships single-column indexes only; ours is (owner, status, created, id), so the
    inbox's task lookup can read the index alone, already in order. Which plan wins depends on
    the table's statistics (bench/bench_inbox.py shows it winning at 1M rows); here PostgreSQL
    is told to avoid sorts and heap scans, which only that index allows."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from workflow.proposals import selectors

    for n in range(3):
        submitted(as_, title=f"索引{n}")
    with CaptureQueriesContext(connection) as ctx:
        inbox = selectors.task_list_for_user(user=city.p(KAKARI).user)
    assert len(inbox) == 3
    (task_sql,) = [q["sql"] for q in ctx.captured_queries if "viewflow_task" in q["sql"]]
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
                cur.execute(f"SET LOCAL {setting} = off")
            cur.execute("EXPLAIN " + task_sql)
        else:
            cur.execute("EXPLAIN QUERY PLAN " + task_sql)
        plan = " ".join(str(row) for row in cur.fetchall())
    assert "workflow_vf_task_inbox" in plan
    if connection.vendor == "postgresql":
        assert "Index Only Scan" in plan
        assert "Sort" not in plan
    else:
        assert "COVERING INDEX workflow_vf_task_inbox" in plan
        assert "TEMP B-TREE" not in plan  # no sort
