"""The approval screens (/approval/): what each person sees, the buttons they get, and the
actions posted from the pages, with the services' refusals shown at their status.

The city is tests/workflow/conftest.py's; rules are the shipped defaults. A 主事 of 市民課 >
窓口係 drafts a general matter: 窓口係長 approves, 市民課長 decides.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from directory import services as directory_services
from directory.calendar import wareki
from directory.models import Delegation
from workflow.models import PostReview, Proposal, ProposalStep
from workflow.proposals import services

pytestmark = pytest.mark.django_db

DRAFTER, KAKARI, KACHO, HOSA = (
    "madoguchi_staff",
    "madoguchi_kakaricho",
    "shimin_kacho",
    "shimin_hosa",
)
OUTSIDER = "zeimu_staff"
LOCAL_BACKEND = "directory.backends.LocalAccountBackend"
BASE = "/approval/"
TOKYO = ZoneInfo("Asia/Tokyo")


@pytest.fixture
def as_(web_as):
    return web_as


def _user(city, username):
    return city.p(username).user


def draft(city, **kw) -> Proposal:
    data = {"title": "窓口の案内表示の更新", "category": "general", "body": "案内表示を更新する。"}
    return services.proposal_create(actor=_user(city, DRAFTER), **{**data, **kw})


def submitted(city, **kw) -> Proposal:
    return services.proposal_submit(actor=_user(city, DRAFTER), proposal=draft(city, **kw))


def pending_step(proposal: Proposal) -> ProposalStep:
    return ProposalStep.objects.get(proposal=proposal, round=proposal.round, state="pending")


def delegate(city, principal: str, deputy: str) -> Delegation:
    now = timezone.now()
    return directory_services.delegation_create(
        actor=_user(city, principal),
        deputy_username=deputy,
        start_at=now - timedelta(hours=1),
        end_at=now + timedelta(days=1),
    )


def html_of(response) -> str:
    return response.content.decode()


def section(html: str, start: str, end: str) -> str:
    """The part of the page from data-testid ``start`` to data-testid ``end``."""
    return html[html.index(f'data-testid="{start}"') : html.index(f'data-testid="{end}"')]


def text_of(response) -> str:
    """The page without tags and with collapsed spaces, for content assertions."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html_of(response)))


# --- inbox ------------------------------------------------------------------------------------


def test_inbox_lists_my_pending_task_with_counts(as_, city):
    proposal = submitted(city)

    response = as_(KAKARI).get(BASE)

    html = html_of(response)
    assert response.status_code == 200
    assert f'href="/approval/proposals/{proposal.pk}/">窓口の案内表示の更新</a>' in html
    assert re.search(r'data-testid="count-tasks">1<', html)
    assert re.search(r'data-testid="count-deputy">0<', html)
    assert 'aria-current="page">決裁<' in html  # the main menu marks the module
    assert "あなた宛ての供覧はありません" in html


def test_inbox_shows_my_drafts_and_outbox(as_, city):
    kept = draft(city, title="下書きの起案")
    sent = submitted(city, title="回議中の起案")

    response = as_(DRAFTER).get(BASE)

    html = html_of(response)
    drafts = html[html.index('data-testid="drafts"') : html.index('data-testid="outbox"')]
    outbox = html[html.index('data-testid="outbox"') : html.index('data-testid="post-reviews"')]
    assert f"/approval/proposals/{kept.pk}/" in drafts
    assert "status--draft" in drafts
    assert f"/approval/proposals/{sent.pk}/" in outbox
    assert "回議中" in outbox
    assert f"/approval/proposals/{sent.pk}/" not in drafts
    assert re.search(r'data-testid="count-tasks">0<', html)


def test_inbox_lists_a_task_i_may_act_on_as_deputy(as_, city):
    proposal = submitted(city)
    services.task_approve(actor=_user(city, KAKARI), step=pending_step(proposal))
    delegate(city, KACHO, HOSA)

    html = html_of(as_(HOSA).get(BASE))

    tasks = html[html.index('data-testid="tasks"') : html.index('data-testid="drafts"')]
    assert f"/approval/proposals/{proposal.pk}/" in tasks
    assert "代決" in tasks
    assert city.p(KACHO).display_name in tasks
    assert re.search(r'data-testid="count-deputy">1<', html)


def test_post_review_is_listed_then_acknowledged_from_the_inbox(as_, city):
    proposal = submitted(city)
    services.task_approve(actor=_user(city, KAKARI), step=pending_step(proposal))
    delegate(city, KACHO, HOSA)
    services.task_approve(actor=_user(city, HOSA), step=pending_step(proposal))
    item = PostReview.objects.get(principal=city.p(KACHO))

    html = html_of(as_(KACHO).get(BASE))
    reviews = html[
        html.index('data-testid="post-reviews"') : html.index('data-testid="circulation"')
    ]
    assert "窓口の案内表示の更新" in reviews
    assert city.p(HOSA).display_name in reviews
    # The inbox sends the principal to the proposal; no one-tap acknowledgement from the list.
    assert f"/approval/post-reviews/{item.pk}/ack/" not in reviews
    assert f"/approval/proposals/{item.step.proposal_id}/" in reviews
    kacho = as_(KACHO)
    refused = kacho.post(f"{BASE}post-reviews/{item.pk}/ack/")
    item.refresh_from_db()
    assert refused.status_code == 302
    assert item.acknowledged_at is None

    detail = html_of(kacho.get(f"{BASE}proposals/{item.step.proposal_id}/"))
    assert 'data-testid="post-review-card"' in detail
    assert f"/approval/post-reviews/{item.pk}/ack/" in detail
    response = kacho.post(f"{BASE}post-reviews/{item.pk}/ack/")

    assert response.status_code == 302
    assert response["Location"] == f"{BASE}proposals/{item.step.proposal_id}/"
    item.refresh_from_db()
    assert item.acknowledged_at is not None
    # Acknowledged items stay listed, with who acted and when it was acknowledged.
    done = html_of(kacho.get(BASE))
    assert 'data-testid="post-reviews-done"' in done
    assert as_(HOSA).post(f"{BASE}post-reviews/{item.pk}/ack/").status_code == 404


def test_home_tile_shows_pending_counts_instead_of_in_preparation(as_, city):
    submitted(city)

    html = html_of(as_(KAKARI).get("/"))

    tile = html[html.index('<li class="tile"><a href="/approval/">') :]
    tile = tile[: tile.index("</li>")]
    assert "準備中" not in tile
    assert "未決 1件" in tile
    assert "供覧" not in tile
    services.proposal_submit(
        actor=_user(city, DRAFTER),
        proposal=services.circulation_create(
            actor=_user(city, DRAFTER), title="周知", recipients=[KAKARI]
        ),
    )
    html = html_of(as_(KAKARI).get("/"))
    assert "未決 1件" in html
    assert "供覧 1件" in html


# --- new proposal and the live route preview --------------------------------------------------


def test_new_proposal_form_lists_categories_and_wires_the_preview(as_, city):
    html = html_of(as_(DRAFTER).get(f"{BASE}proposals/new/"))

    assert '<option value="expenditure">支出</option>' in html
    assert 'hx-post="/approval/proposals/route-preview/"' in html
    assert '<label for="id_title">件名</label>' in html
    assert 'aria-live="polite"' in html


def test_route_preview_gives_each_step_with_its_reason(as_, city):
    below = as_(DRAFTER).post(
        f"{BASE}proposals/route-preview/", {"category": "expenditure", "amount": "999,999"}
    )
    at = as_(DRAFTER).post(
        f"{BASE}proposals/route-preview/", {"category": "expenditure", "amount": "1000000"}
    )

    assert below.status_code == at.status_code == 200
    assert "部長" not in text_of(below)
    steps = re.findall(r'data-kind="(\w+)"', html_of(at))
    assert steps == ["approve", "approve", "decide"]
    text = text_of(at)
    assert city.p("shimin_bucho").display_name in text
    assert "部長" in text
    # Each step says why it is there (routing.build_route's reasons).
    assert "1,000,000" in text
    assert text.count("市民課") >= 1


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"category": "expenditure", "amount": "abc"}, "整数（円）"),
        ({"category": "expenditure", "amount": "-5"}, "0 以上"),
        ({"category": "expenditure", "amount": ""}, "金額"),
        ({"category": "nonsense", "amount": "1"}, "選択"),
    ],
)
def test_route_preview_shows_errors_inline(as_, data, error):
    response = as_(DRAFTER).post(f"{BASE}proposals/route-preview/", data)

    assert response.status_code == 400
    assert 'role="alert"' in html_of(response)
    assert error in text_of(response)


def test_saving_the_form_creates_a_draft_and_shows_it(as_, city):
    response = as_(DRAFTER).post(
        f"{BASE}proposals/new/",
        {"title": "公用車の購入", "category": "expenditure", "amount": "1,200,000", "body": "更新"},
    )

    proposal = Proposal.objects.get(title="公用車の購入")
    assert response.status_code == 302
    assert response["Location"] == f"{BASE}proposals/{proposal.pk}/"
    assert (proposal.status, proposal.amount, proposal.drafter) == (
        "draft",
        1_200_000,
        city.p(DRAFTER),
    )
    page = as_(DRAFTER).get(response["Location"])
    assert "回議予定" in text_of(page)


def test_saving_without_a_title_keeps_the_form_with_the_error(as_):
    response = as_(DRAFTER).post(f"{BASE}proposals/new/", {"category": "general", "title": ""})

    assert response.status_code == 400
    assert 'aria-invalid="true"' in html_of(response)
    assert not Proposal.objects.exists()


def test_editing_a_draft_recomputes_its_route(as_, city):
    proposal = draft(city, category="expenditure", amount=500_000)

    response = as_(DRAFTER).post(
        f"{BASE}proposals/{proposal.pk}/edit/",
        {"title": proposal.title, "category": "expenditure", "amount": "2000000", "body": ""},
    )

    assert response.status_code == 302
    assert "部長" in text_of(as_(DRAFTER).get(f"{BASE}proposals/{proposal.pk}/"))
    assert as_(KAKARI).get(f"{BASE}proposals/{proposal.pk}/edit/").status_code == 404


# --- detail: visibility, content, buttons -----------------------------------------------------


def test_outsider_gets_404_on_a_detail_page_and_its_actions(as_, city):
    proposal = submitted(city)
    step = pending_step(proposal)

    assert as_(OUTSIDER).get(f"{BASE}proposals/{proposal.pk}/").status_code == 404
    assert as_(OUTSIDER).post(f"{BASE}tasks/{step.pk}/approve/").status_code == 404
    assert as_(OUTSIDER).post(f"{BASE}proposals/{proposal.pk}/withdraw/").status_code == 404
    # A draft's planned approvers are not readers yet.
    assert as_(KAKARI).get(f"{BASE}proposals/{draft(city).pk}/").status_code == 404


def test_detail_shows_header_seal_row_and_history(as_, city):
    proposal = submitted(city, category="expenditure", amount=300_000)

    response = as_(DRAFTER).get(f"{BASE}proposals/{proposal.pk}/")

    html, text = html_of(response), text_of(response)
    assert response.status_code == 200
    assert "支出" in text
    assert "300,000円" in text
    assert city.p(DRAFTER).display_name in text
    assert "市民課" in text
    assert 'data-testid="proposal-status"' in html
    assert "回議中" in text
    assert re.findall(r'data-testid="seal" data-state="(\w+)"', html) == ["pending", "waiting"]
    assert city.p(KAKARI).display_name in text
    assert city.p(KACHO).display_name in text
    assert "第1回" in text
    assert "起案（回議開始）" in text
    assert wareki(proposal.submitted_at) in text


def test_approver_gets_task_buttons_and_drafter_gets_drafter_buttons(as_, city):
    proposal = submitted(city)
    url = f"{BASE}proposals/{proposal.pk}/"
    step = pending_step(proposal)

    approver = html_of(as_(KAKARI).get(url))
    drafter = html_of(as_(DRAFTER).get(url))
    later = html_of(as_(KACHO).get(url))

    assert f'action="/approval/tasks/{step.pk}/approve/"' in approver
    assert f'formaction="/approval/tasks/{step.pk}/send-back/"' in approver
    assert "/reject/" not in approver  # not the decide step
    assert "/withdraw/" not in approver
    assert "/tasks/" not in drafter
    assert f"/approval/proposals/{proposal.pk}/withdraw/" in drafter
    assert f"/approval/proposals/{proposal.pk}/cancel/" in drafter
    assert "/submit/" not in drafter
    assert 'data-testid="task-form"' not in later  # on the route, not reached yet:
    assert 'data-testid="ahead-form"' in later  # only 引上げ承認 is offered


def test_decider_may_reject_and_the_deputy_acts_on_behalf(as_, city):
    proposal = submitted(city)
    services.task_approve(actor=_user(city, KAKARI), step=pending_step(proposal))
    step = pending_step(proposal)
    delegate(city, KACHO, HOSA)

    decider = html_of(as_(KACHO).get(f"{BASE}proposals/{proposal.pk}/"))
    deputy = html_of(as_(HOSA).get(f"{BASE}proposals/{proposal.pk}/"))

    assert f'formaction="/approval/tasks/{step.pk}/reject/"' in decider
    assert f'action="/approval/tasks/{step.pk}/approve/"' in deputy
    assert "代決" in deputy[deputy.index('data-testid="actions"') :]


def test_draft_offers_submit_and_submitting_from_the_page_starts_review(as_, city):
    proposal = draft(city)
    url = f"{BASE}proposals/{proposal.pk}/"
    assert f"/approval/proposals/{proposal.pk}/submit/" in html_of(as_(DRAFTER).get(url))

    client = as_(DRAFTER)
    response = client.post(f"{url}submit/")

    assert response.status_code == 302
    assert response["Location"] == url
    proposal.refresh_from_db()
    assert proposal.status == "in_review"
    page = client.get(url)
    assert "回議に付しました" in text_of(page)


# --- task actions from the page ---------------------------------------------------------------


def test_approve_from_the_page_advances_the_proposal(as_, city):
    proposal = submitted(city)
    step = pending_step(proposal)

    response = as_(KAKARI).post(f"{BASE}tasks/{step.pk}/approve/", {"comment": "確認しました"})

    assert response.status_code == 302
    assert response["Location"] == f"{BASE}proposals/{proposal.pk}/"
    step.refresh_from_db()
    assert (step.state, step.comment) == ("approved", "確認しました")
    assert pending_step(proposal).approver == city.p(KACHO)

    decided = as_(KACHO).post(f"{BASE}tasks/{pending_step(proposal).pk}/approve/")
    assert decided.status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == "approved"
    page = text_of(as_(DRAFTER).get(f"{BASE}proposals/{proposal.pk}/"))
    assert proposal.document_number in page
    assert "決裁済" in page


def test_send_back_without_a_comment_is_400_with_the_error_and_changes_nothing(as_, city):
    proposal = submitted(city)
    step = pending_step(proposal)

    response = as_(KAKARI).post(f"{BASE}tasks/{step.pk}/send-back/", {"comment": "  "})

    html = html_of(response)
    assert response.status_code == 400
    assert f'id="comment-{step.pk}-error"' in html
    assert "差し戻すには意見の入力が必要です" in text_of(response)
    assert 'aria-invalid="true"' in html
    step.refresh_from_db()
    proposal.refresh_from_db()
    assert (step.state, proposal.status) == ("pending", "in_review")


def test_send_back_with_a_comment_returns_it_to_the_drafter(as_, city):
    proposal = submitted(city)

    response = as_(KAKARI).post(
        f"{BASE}tasks/{pending_step(proposal).pk}/send-back/", {"comment": "金額を確認してください"}
    )

    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == "returned"
    page = text_of(as_(DRAFTER).get(f"{BASE}proposals/{proposal.pk}/"))
    assert "金額を確認してください" in page
    assert "再提出" in page


def test_acting_on_a_task_already_done_is_a_409_page(as_, city):
    proposal = submitted(city)
    step = pending_step(proposal)
    assert as_(KAKARI).post(f"{BASE}tasks/{step.pk}/approve/").status_code == 302

    response = as_(KAKARI).post(f"{BASE}tasks/{step.pk}/approve/")

    assert response.status_code == 409
    assert 'data-testid="refusal"' in html_of(response)
    assert "この案件は既に処理済みです" in text_of(response)


def test_someone_else_acting_on_a_task_gets_a_403_page(as_, city):
    proposal = submitted(city)
    step = pending_step(proposal)

    response = as_(DRAFTER).post(f"{BASE}tasks/{step.pk}/approve/")

    assert response.status_code == 403
    assert 'data-testid="refusal"' in html_of(response)
    step.refresh_from_db()
    assert step.state == "pending"


def test_withdraw_by_the_drafter_and_then_withdraw_again_is_409(as_, city):
    proposal = submitted(city)
    url = f"{BASE}proposals/{proposal.pk}/withdraw/"

    assert as_(DRAFTER).post(url).status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == "draft"
    assert as_(DRAFTER).post(url).status_code == 409


def test_pages_only_answer_the_methods_they_serve(as_, city):
    proposal = submitted(city)

    assert as_(KAKARI).get(f"{BASE}tasks/{pending_step(proposal).pk}/approve/").status_code == 405
    assert as_(DRAFTER).get(f"{BASE}proposals/route-preview/").status_code == 405


# --- delegations ------------------------------------------------------------------------------


def test_delegation_page_creates_and_lists_a_delegation(as_, city):
    page = html_of(as_(KACHO).get(f"{BASE}delegations/"))
    assert f'<option value="{HOSA}">' in page  # a colleague of the 部 in the picker
    assert 'type="datetime-local"' in page

    response = as_(KACHO).post(
        f"{BASE}delegations/",
        {"deputy": HOSA, "start": "2026-12-01T08:30", "end": "2026-12-03T17:15"},
    )

    assert response.status_code == 302
    delegation = Delegation.objects.get(principal=city.p(KACHO))
    assert delegation.deputy == city.p(HOSA)
    assert timezone.localtime(delegation.start_at).hour == 8
    given = html_of(as_(KACHO).get(f"{BASE}delegations/"))
    assert city.p(HOSA).display_name in given
    received = html_of(as_(HOSA).get(f"{BASE}delegations/"))
    section = received[received.index('data-testid="received"') :]
    assert city.p(KACHO).display_name in section


def test_delegation_errors_from_the_service_are_shown(as_, city):
    response = as_(KACHO).post(
        f"{BASE}delegations/",
        {"deputy": KACHO, "start": "2026-12-01T08:30", "end": "2026-12-03T17:15"},
    )

    assert response.status_code == 400
    assert 'role="alert"' in html_of(response)
    assert not Delegation.objects.exists()


# --- 引上げ承認 and the outputs -----------------------------------------------------------------


def test_a_later_approver_approves_ahead_from_the_page(as_, city):
    proposal = submitted(city)
    url = f"{BASE}proposals/{proposal.pk}/"
    ahead_action = f'action="/approval/proposals/{proposal.pk}/approve-ahead/"'

    assert ahead_action in html_of(as_(KACHO).get(url))
    assert ahead_action not in html_of(as_(KAKARI).get(url))  # pending: approves normally
    assert ahead_action not in html_of(as_(DRAFTER).get(url))

    response = as_(KACHO).post(f"{url}approve-ahead/", {"comment": "係長不在のため"})

    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == "approved"
    steps = ProposalStep.objects.filter(proposal=proposal, round=1).order_by("order")
    assert [s.state for s in steps] == ["skipped", "approved"]
    page = text_of(as_(DRAFTER).get(url))
    assert "引上げ" in page
    assert proposal.document_number in page


def test_approve_ahead_refusals_are_404_for_outsiders_and_403_for_the_drafter(as_, city):
    proposal = submitted(city)
    url = f"{BASE}proposals/{proposal.pk}/approve-ahead/"

    assert as_(OUTSIDER).post(url).status_code == 404
    response = as_(DRAFTER).post(url)
    assert response.status_code == 403
    assert 'data-testid="refusal"' in html_of(response)
    proposal.refresh_from_db()
    assert proposal.status == "in_review"


def test_decided_proposal_links_its_pdf_and_offers_the_issue_letter(as_, city):
    proposal = submitted(city)
    url = f"{BASE}proposals/{proposal.pk}/"
    try:
        letter = reverse("workflow_api:proposal-issue-letter", args=[proposal.pk])
    except NoReverseMatch:  # the engine's 施行文書 endpoint is not mounted in this build
        letter = None
    assert 'data-testid="letter-form"' not in html_of(as_(DRAFTER).get(url))
    services.task_approve(actor=_user(city, KAKARI), step=pending_step(proposal))
    services.task_approve(actor=_user(city, KACHO), step=pending_step(proposal))

    html = html_of(as_(DRAFTER).get(url))

    assert f'href="/api/v1/proposals/{proposal.pk}/pdf/"' in html
    assert (f'action="{letter}"' in html) is (letter is not None)


def test_delegation_form_starts_now_for_one_day(as_, city):
    with time_machine.travel(datetime(2026, 12, 1, 9, 30, 40, tzinfo=TOKYO), tick=False):
        html = html_of(as_(KACHO).get(f"{BASE}delegations/"))

    assert 'value="2026-12-01T09:30"' in html
    assert 'value="2026-12-02T09:30"' in html


def test_inbox_query_count_does_not_grow_with_rows(as_, city, django_assert_max_num_queries):
    for n in range(2):
        submitted(city, title=f"起案{n}")
    client = as_(KAKARI)
    # 32: with the recently acknowledged 後閲 items (one query, and the person it is for).
    with django_assert_max_num_queries(32) as few:
        client.get(BASE)
    for n in range(6):
        submitted(city, title=f"追加{n}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(BASE)
    assert re.search(r'data-testid="count-tasks">8<', html_of(response))


# --- 供覧 (circulation) -------------------------------------------------------------------------


def test_circulation_is_drafted_submitted_listed_and_seen_by_each_recipient(as_, city):
    drafter = as_(DRAFTER)
    form = html_of(drafter.get(f"{BASE}circulations/new/"))
    assert f'value="{KAKARI}"' in form  # colleagues of the 部 to tick

    response = drafter.post(
        f"{BASE}circulations/new/",
        {
            "title": "窓口の混雑状況（報告）",
            "body": "先週の状況",
            "picked": [KAKARI],
            "others": HOSA,
        },
    )

    proposal = Proposal.objects.get(title="窓口の混雑状況（報告）")
    assert response.status_code == 302
    assert proposal.kind == "circulation"
    url = f"{BASE}proposals/{proposal.pk}/"
    assert "供覧に付す" in html_of(drafter.get(url))
    assert drafter.post(f"{url}submit/").status_code == 302
    inbox = html_of(as_(KAKARI).get(BASE))
    assert url in inbox[inbox.index('data-testid="circulation"') :]
    assert url not in section(inbox, "tasks", "drafts")
    assert re.search(r'data-testid="count-circulations">1<', inbox)

    page = html_of(as_(KAKARI).get(url))
    step = ProposalStep.objects.get(proposal=proposal, approver=city.p(KAKARI))
    assert "確認した（供覧）" in page
    assert "/send-back/" not in page
    assert "/reject/" not in page
    assert as_(KAKARI).post(f"{BASE}tasks/{step.pk}/approve/").status_code == 302
    hosa = ProposalStep.objects.get(proposal=proposal, approver=city.p(HOSA))
    assert as_(HOSA).post(f"{BASE}tasks/{hosa.pk}/approve/").status_code == 302

    proposal.refresh_from_db()
    assert proposal.status == "approved"
    assert not proposal.document_number
    assert "供覧済" in text_of(as_(DRAFTER).get(url))


def test_circulation_without_recipients_is_400_with_the_error(as_):
    response = as_(DRAFTER).post(f"{BASE}circulations/new/", {"title": "周知", "others": ""})

    assert response.status_code == 400
    assert 'role="alert"' in html_of(response)
    assert not Proposal.objects.exists()


def test_circulation_draft_is_edited_with_its_recipients(as_, city):
    proposal = services.circulation_create(
        actor=_user(city, DRAFTER), title="周知", recipients=[KAKARI, OUTSIDER]
    )
    url = f"{BASE}proposals/{proposal.pk}/edit/"

    form = html_of(as_(DRAFTER).get(url))

    assert re.search(rf'value="{KAKARI}"[^>]*checked', form)
    assert f'value="{OUTSIDER}"' in form  # outside the 部: in the typed names

    response = as_(DRAFTER).post(url, {"title": "周知（改）", "picked": [HOSA], "others": ""})

    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.title == "周知（改）"
    assert proposal.recipient_ids == [city.p(HOSA).pk]


def test_an_auditor_reads_the_detail_without_any_action(as_, city):
    proposal = submitted(city)
    auditor = city.p(OUTSIDER).user
    auditor.user_permissions.add(Permission.objects.get(codename="view_auditevent"))

    response = as_(OUTSIDER).get(f"{BASE}proposals/{proposal.pk}/")

    assert response.status_code == 200
    assert "窓口の案内表示の更新" in text_of(response)
    assert 'data-testid="actions"' not in html_of(response)


def test_actions_need_the_csrf_token(city):
    proposal = submitted(city)
    step = pending_step(proposal)
    client = Client(enforce_csrf_checks=True)
    client.force_login(city.p(KAKARI).user, backend=LOCAL_BACKEND)

    response = client.post(f"{BASE}tasks/{step.pk}/approve/")

    assert response.status_code == 403
    step.refresh_from_db()
    assert step.state == "pending"
    page = client.get(f"{BASE}proposals/{proposal.pk}/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html_of(page)).group(1)
    assert (
        client.post(f"{BASE}tasks/{step.pk}/approve/", {"csrfmiddlewaretoken": token}).status_code
        == 302
    )


def test_steps_never_reached_read_not_reached_after_a_send_back(as_, city):
    proposal = draft(city)
    services.proposal_submit(actor=_user(city, DRAFTER), proposal=proposal)
    step = ProposalStep.objects.get(proposal=proposal, state="pending")
    services.task_send_back(actor=_user(city, KAKARI), step=step, comment="再考")

    page = as_(DRAFTER).get(f"{BASE}proposals/{proposal.pk}/").content.decode()

    assert "未到達" in page
    assert "取下げ" not in page.split('data-testid="seals"')[1].split("</ol>")[0]
