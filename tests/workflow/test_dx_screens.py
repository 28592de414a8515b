"""The DX action plan screens (/approval/dx/): what each person sees, the buttons they get, and
the actions posted from the pages moving the plan through the flow, with the services'
refusals shown at their status.

The city is tests/workflow/conftest.py's plus the DX bodies of test_dx_flow.py: a 主事 of 市民課
> 窓口係 drafts, DX推進係 is the 事務局, deputy and somu_bucho sit on the 委員会, 税務課 is outside.
"""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client

from directory.models import OrgUnit
from workflow.dx import services
from workflow.models import ActionPlan, DXDecision

pytestmark = pytest.mark.django_db

DRAFTER, COLLEAGUE, OUTSIDER = "madoguchi_staff", "shimin_kacho", "zeimu_staff"
SECRETARIAT, SECRETARIAT_HEAD = "dx_staff", "dx_kacho"
MEMBER_A, MEMBER_B = "deputy", "somu_bucho"
LOCAL_BACKEND = "directory.backends.LocalAccountBackend"
BASE = "/approval/dx/"
NOW = "2026-06-01 10:00"
DUE = date(2027, 3, 31)


@pytest.fixture
def dx(city):
    """The DX bodies: デジタル推進課 > DX推進係 under 総務部, and the committee group."""
    ka = OrgUnit.objects.create(name="デジタル推進課", level=2, parent=city.u("総務部"))
    city.units["デジタル推進課"] = ka
    city.units["DX推進係"] = OrgUnit.objects.create(name="DX推進係", level=3, parent=ka)
    city.add(SECRETARIAT_HEAD, "デジタル推進課", "課長")
    city.add(SECRETARIAT, "DX推進係", "主事")
    committee = Group.objects.create(name="DX推進委員会")
    for username in (MEMBER_A, MEMBER_B):
        city.p(username).user.groups.add(committee)
    return city


def user(city, username: str):
    return get_user_model().objects.get(pk=city.p(username).user_id)


@pytest.fixture
def as_(dx):
    def client_for(username: str) -> Client:
        client = Client()
        client.force_login(user(dx, username), backend=LOCAL_BACKEND)
        return client

    return client_for


def draft(city, **kw) -> ActionPlan:
    data = {
        "title": "窓口予約のオンライン化",
        "goal": "待ち時間を半減する",
        "estimated_cost": 3_000_000,
        "technology": "SaaS 予約システム",
        "report_due_on": DUE,
    }
    return services.action_plan_create(actor=user(city, DRAFTER), **{**data, **kw})


def submitted(city, **kw) -> ActionPlan:
    return services.action_plan_submit(actor=user(city, DRAFTER), plan=draft(city, **kw))


def reviewed(city, **kw) -> ActionPlan:
    return services.action_plan_review(
        actor=user(city, SECRETARIAT),
        plan=submitted(city, **kw),
        is_cost_ok=True,
        is_technology_ok=True,
    )


def approved(city, **kw) -> ActionPlan:
    return services.action_plan_approve(actor=user(city, MEMBER_A), plan=reviewed(city, **kw))


def html_of(response) -> str:
    return response.content.decode()


def has_form(html: str, name: str) -> bool:
    return f'data-testid="{name}-form"' in html


def refused(client: Client, plan: ActionPlan, action: str, data: dict | None = None) -> str:
    """POST a refused action: the browser is sent back to the plan's page (never left on the
    POST address), which shows the refusal once; returns that page."""
    response = client.post(f"{BASE}{plan.pk}/{action}/", data or {})
    assert response.status_code == 302
    assert response["Location"] == f"{BASE}{plan.pk}/"
    page = client.get(response["Location"])
    assert page.status_code == 200
    html = html_of(page)
    assert 'data-testid="refusal"' in html
    assert 'data-testid="refusal"' not in html_of(client.get(f"{BASE}{plan.pk}/"))  # once
    return html


def actions_of(plan: ActionPlan) -> list[tuple[int, str, str]]:
    rows = DXDecision.objects.filter(plan=plan).order_by("at", "id")
    return [(d.round, d.action, d.actor.user.username) for d in rows]


# --- list -------------------------------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_list_shows_each_person_their_plans_and_queues(as_, dx):
    mine = draft(dx, title="下書きの計画")
    at_secretariat = submitted(dx, title="事務局待ちの計画")
    at_committee = reviewed(dx, title="委員会待ちの計画")

    drafter_page = html_of(as_(DRAFTER).get(BASE))
    secretariat_page = as_(SECRETARIAT).get(BASE)
    committee_page = html_of(as_(MEMBER_B).get(BASE))
    outsider_page = html_of(as_(OUTSIDER).get(BASE))

    assert secretariat_page.status_code == 200
    secretariat_html = html_of(secretariat_page)
    queue = secretariat_html.split('data-testid="secretariat-queue"')[1].split("</section>")[0]
    assert at_secretariat.title in queue
    assert at_committee.title not in queue
    assert mine.title not in secretariat_html  # drafts stay inside the 課
    assert 'data-testid="count-secretariat">1<' in secretariat_html

    committee_queue = committee_page.split('data-testid="committee-queue"')[1].split("</section>")[
        0
    ]
    assert at_committee.title in committee_queue
    assert at_secretariat.title not in committee_queue
    assert 'data-testid="count-committee">1<' in committee_page

    my_plans = drafter_page.split('data-testid="mine"')[1].split("</section>")[0]
    for plan in (mine, at_secretariat, at_committee):
        assert plan.title in my_plans
    assert f'href="{BASE}new/"' in drafter_page

    for plan in (mine, at_secretariat, at_committee):
        assert plan.title not in outsider_page


def test_overdue_reports_are_flagged_on_the_list_and_the_detail(as_, dx):
    with time_machine.travel(NOW, tick=False):
        plan = approved(dx, report_due_on=date(2026, 7, 1))
    with time_machine.travel("2026-07-02 09:00", tick=False):
        page = html_of(as_(DRAFTER).get(BASE))
        detail = html_of(as_(DRAFTER).get(f"{BASE}{plan.pk}/"))

    overdue = page.split('data-testid="overdue"')[1].split("</section>")[0]
    assert plan.title in overdue
    assert 'data-testid="count-overdue">1<' in page
    assert 'data-testid="overdue-mark"' in detail


def test_the_inbox_links_to_the_dx_plans(as_, dx):
    page = html_of(as_(DRAFTER).get("/approval/"))

    assert f'href="{BASE}" data-testid="dx-link"' in page


# --- new plan ---------------------------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_new_plan_form_saves_a_draft_of_the_drafters_unit(as_, dx):
    client = as_(DRAFTER)
    form = client.get(f"{BASE}new/")
    assert form.status_code == 200
    for name in ("title", "goal", "estimated_cost", "technology", "report_due_on"):
        assert f'name="{name}"' in html_of(form)

    response = client.post(
        f"{BASE}new/",
        {
            "title": "電子申請の拡充",
            "goal": "来庁不要の手続を増やす",
            "estimated_cost": "1,200,000円",
            "technology": "電子申請プラットフォーム",
            "report_due_on": "2027-03-31",
        },
    )

    plan = ActionPlan.objects.get(title="電子申請の拡充")
    assert response.status_code == 302
    assert response["Location"] == f"{BASE}{plan.pk}/"
    assert (plan.status, plan.estimated_cost, plan.owning_unit.name) == (
        "draft",
        1_200_000,
        "市民課",
    )
    assert plan.drafter.user.username == DRAFTER


@time_machine.travel(NOW, tick=False)
def test_new_plan_refused_by_the_service_shows_its_message_with_400(as_, dx):
    response = as_(DRAFTER).post(
        f"{BASE}new/",
        {
            "title": "過去の期限",
            "goal": "g",
            "estimated_cost": "100",
            "technology": "t",
            "report_due_on": "2026-05-01",
        },
    )

    assert response.status_code == 400
    assert 'data-testid="form-error"' in html_of(response)
    assert not ActionPlan.objects.filter(title="過去の期限").exists()


# --- detail: content and buttons per person ---------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_detail_shows_only_the_viewers_actions(as_, dx):
    plan = draft(dx)
    url = f"{BASE}{plan.pk}/"

    drafter = html_of(as_(DRAFTER).get(url))
    colleague = html_of(as_(COLLEAGUE).get(url))
    assert plan.title in drafter
    assert "待ち時間を半減する" in drafter
    assert has_form(drafter, "submit")
    assert has_form(drafter, "cancel")
    assert f'href="{url}edit/"' in drafter
    assert plan.title in colleague
    assert 'data-testid="actions"' not in colleague

    services.action_plan_submit(actor=user(dx, DRAFTER), plan=plan)
    drafter = html_of(as_(DRAFTER).get(url))
    secretariat = html_of(as_(SECRETARIAT).get(url))
    committee = html_of(as_(MEMBER_A).get(url))
    assert not has_form(drafter, "submit")
    assert has_form(drafter, "cancel")
    assert has_form(secretariat, "review")
    assert has_form(secretariat, "claim")
    assert 'name="is_cost_ok"' in secretariat
    assert 'name="is_technology_ok"' in secretariat
    assert not has_form(secretariat, "approve")
    assert plan.title in committee  # today's committee may read it
    assert not has_form(committee, "review")
    assert not has_form(committee, "approve")

    services.action_plan_review(
        actor=user(dx, SECRETARIAT), plan=plan, is_cost_ok=True, is_technology_ok=True
    )
    committee = html_of(as_(MEMBER_A).get(url))
    secretariat = html_of(as_(SECRETARIAT).get(url))
    drafter = html_of(as_(DRAFTER).get(url))
    assert has_form(committee, "approve")
    assert not has_form(committee, "review")
    assert 'data-testid="actions"' not in secretariat
    assert not has_form(drafter, "report")


@time_machine.travel(NOW, tick=False)
def test_a_claimed_review_shows_who_is_in_charge_and_no_form_to_the_others(as_, dx):
    plan = submitted(dx)
    url = f"{BASE}{plan.pk}/"
    staff = dx.p(SECRETARIAT)
    staff.display_name = "池田 駿"  # the test city's names contain the username
    staff.save(update_fields=["display_name"])

    response = as_(SECRETARIAT).post(f"{url}claim/")

    assert response.status_code == 302
    assert actions_of(plan)[-1] == (1, "claimed", SECRETARIAT)
    head = html_of(as_(SECRETARIAT_HEAD).get(url))
    claimed_by = head.split('data-testid="claimed-by">')[1].split("<")[0]
    assert "池田 駿" in claimed_by  # a name, not a username
    assert SECRETARIAT not in claimed_by
    assert not has_form(head, "review")
    assert not has_form(head, "claim")
    assert has_form(html_of(as_(SECRETARIAT).get(url)), "review")


@time_machine.travel(NOW, tick=False)
def test_an_outsider_gets_404_on_the_plan_and_its_actions(as_, dx):
    plan = submitted(dx)
    client = as_(OUTSIDER)

    assert client.get(f"{BASE}{plan.pk}/").status_code == 404
    assert client.get(f"{BASE}{plan.pk}/edit/").status_code == 404
    for action in ("submit", "claim", "review", "send-back", "approve", "report", "cancel"):
        assert client.post(f"{BASE}{plan.pk}/{action}/", {"comment": "x"}).status_code == 404
    plan.refresh_from_db()
    assert plan.status == "in_review"


@time_machine.travel(NOW, tick=False)
def test_a_colleague_posting_a_review_gets_403_on_the_page(as_, dx):
    plan = submitted(dx)

    html = refused(as_(COLLEAGUE), plan, "review", {"is_cost_ok": "on", "is_technology_ok": "on"})

    assert 'data-testid="refusal" data-status="403"' in html
    plan.refresh_from_db()
    assert plan.reviewed_at is None


# --- the flow through the screens -------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_the_whole_flow_through_the_screens(as_, dx):
    plan = draft(dx)
    url = f"{BASE}{plan.pk}/"

    assert as_(DRAFTER).post(f"{url}submit/").status_code == 302
    plan.refresh_from_db()
    assert (plan.status, plan.round) == ("in_review", 1)

    sent_back = as_(SECRETARIAT).post(
        f"{url}send-back/",
        {
            "is_cost_ok": "on",
            "technology_comment": "保守体制が不明",
            "comment": "体制を追記してください",
        },
    )
    assert sent_back.status_code == 302
    plan.refresh_from_db()
    assert plan.status == "returned"
    entry = DXDecision.objects.filter(plan=plan, action="sent_back").get()
    assert (entry.is_cost_ok, entry.is_technology_ok) == (True, False)
    assert entry.technology_comment == "保守体制が不明"
    returned_page = html_of(as_(DRAFTER).get(url))
    assert "体制を追記してください" in returned_page
    assert has_form(returned_page, "submit")

    edited = as_(DRAFTER).post(
        f"{url}edit/",
        {
            "title": plan.title,
            "goal": plan.goal,
            "estimated_cost": "3000000",
            "technology": "SaaS 予約システム(保守は事業者)",
            "report_due_on": "2027-03-31",
        },
    )
    assert edited.status_code == 302
    assert as_(DRAFTER).post(f"{url}submit/").status_code == 302
    plan.refresh_from_db()
    assert (plan.status, plan.round, plan.technology) == (
        "in_review",
        2,
        "SaaS 予約システム(保守は事業者)",
    )

    reviewed_response = as_(SECRETARIAT).post(
        f"{url}review/",
        {"is_cost_ok": "on", "is_technology_ok": "on", "cost_comment": "妥当"},
    )
    assert reviewed_response.status_code == 302
    plan.refresh_from_db()
    assert plan.stage == "committee"

    assert as_(MEMBER_B).post(f"{url}approve/", {"comment": "承認"}).status_code == 302
    plan.refresh_from_db()
    assert plan.status == "approved"
    assert has_form(html_of(as_(DRAFTER).get(url)), "report")

    saved = as_(DRAFTER).post(f"{url}report/", {"results": "待ち時間 30% 減", "final": "0"})
    assert saved.status_code == 302
    plan.refresh_from_db()
    assert (plan.status, plan.results) == ("reporting", "待ち時間 30% 減")
    assert "待ち時間 30% 減" in html_of(as_(DRAFTER).get(url))

    final = as_(DRAFTER).post(f"{url}report/", {"results": "待ち時間 45% 減", "final": "1"})
    assert final.status_code == 302
    plan.refresh_from_db()
    assert (plan.status, plan.results) == ("completed", "待ち時間 45% 減")

    assert actions_of(plan) == [
        (0, "created", DRAFTER),
        (1, "submitted", DRAFTER),
        (1, "sent_back", SECRETARIAT),
        (1, "updated", DRAFTER),
        (2, "submitted", DRAFTER),
        (2, "reviewed", SECRETARIAT),
        (2, "approved", MEMBER_B),
        (2, "report_saved", DRAFTER),
        (2, "completed", DRAFTER),
    ]
    page = html_of(as_(COLLEAGUE).get(url))
    assert page.count('class="history__round"') == 3  # before submission, round 1, round 2
    assert 'data-action="sent_back"' in page
    assert "保守体制が不明" in page
    assert 'data-testid="actions"' not in html_of(as_(DRAFTER).get(url))


@time_machine.travel(NOW, tick=False)
def test_send_back_without_a_comment_is_400_inline_and_changes_nothing(as_, dx):
    plan = submitted(dx)
    before = actions_of(plan)

    html = refused(
        as_(SECRETARIAT), plan, "send-back", {"cost_comment": "高すぎる", "comment": "  "}
    )

    assert 'data-status="400"' in html
    assert 'id="send-back-error" data-testid="inline-error"' in html
    assert 'aria-invalid="true" aria-describedby="send-back-error"' in html
    assert "高すぎる" in html  # what was typed is kept
    plan.refresh_from_db()
    assert (plan.status, plan.reviewed_at) == ("in_review", None)
    assert actions_of(plan) == before


@time_machine.travel(NOW, tick=False)
def test_review_without_both_checks_is_400_and_changes_nothing(as_, dx):
    plan = submitted(dx)

    html = refused(as_(SECRETARIAT), plan, "review", {"is_cost_ok": "on"})

    assert 'data-testid="inline-error"' in html
    assert 'name="is_cost_ok" id="id_is_cost_ok" checked' in html  # what was ticked is kept
    plan.refresh_from_db()
    assert plan.reviewed_at is None


@time_machine.travel(NOW, tick=False)
def test_a_second_committee_approval_gets_the_409_page(as_, dx):
    plan = reviewed(dx)
    url = f"{BASE}{plan.pk}/approve/"
    second = as_(MEMBER_B)  # its page was loaded before the first approval
    assert has_form(html_of(second.get(f"{BASE}{plan.pk}/")), "approve")

    assert as_(MEMBER_A).post(url, {"comment": "承認"}).status_code == 302
    html = refused(second, plan, "approve", {"comment": "私も承認"})

    assert 'data-testid="refusal" data-status="409"' in html
    plan.refresh_from_db()
    assert plan.status == "approved"
    assert [a for a in actions_of(plan) if a[1] == "approved"] == [(1, "approved", MEMBER_A)]


@time_machine.travel(NOW, tick=False)
def test_report_without_results_is_400_inline(as_, dx):
    plan = approved(dx)

    html = refused(as_(DRAFTER), plan, "report", {"results": "", "final": "1"})

    assert 'id="report-error" data-testid="inline-error"' in html
    plan.refresh_from_db()
    assert plan.status == "approved"


@time_machine.travel(NOW, tick=False)
def test_the_drafter_cancels_from_the_page(as_, dx):
    plan = submitted(dx)

    assert as_(DRAFTER).post(f"{BASE}{plan.pk}/cancel/").status_code == 302

    plan.refresh_from_db()
    assert plan.status == "cancelled"
    assert 'data-testid="actions"' not in html_of(as_(DRAFTER).get(f"{BASE}{plan.pk}/"))


# --- usable by the committee it serves (issue 9, item 8) -------------------------------------


def section(html: str, testid: str) -> str:
    return html.split(f'data-testid="{testid}"')[1].split("</section>")[0]


@time_machine.travel(NOW, tick=False)
def test_each_queue_is_shown_to_its_role_only(as_, dx):
    submitted(dx, title="事務局待ち")

    drafter = html_of(as_(DRAFTER).get(BASE))
    secretariat = html_of(as_(SECRETARIAT).get(BASE))
    committee = html_of(as_(MEMBER_A).get(BASE))

    assert 'data-testid="secretariat-queue"' not in drafter
    assert 'data-testid="committee-queue"' not in drafter
    assert 'data-testid="count-secretariat"' not in drafter
    assert 'data-testid="count-committee"' not in drafter
    assert 'data-testid="secretariat-queue"' in secretariat
    assert 'data-testid="committee-queue"' not in secretariat
    assert 'data-testid="committee-queue"' in committee
    assert 'data-testid="secretariat-queue"' not in committee


@time_machine.travel(NOW, tick=False)
def test_dx_plans_are_in_the_main_navigation(as_, dx):
    for path in ("/", "/approval/", BASE):
        html = html_of(as_(DRAFTER).get(path))
        nav = html.split('class="site-nav"')[1].split("</nav>")[0]
        assert f'href="{BASE}"' in nav
    assert 'data-testid="nav-dx" aria-current="page"' not in html_of(as_(DRAFTER).get("/"))
    assert 'aria-current="page" data-testid="nav-dx"' in html_of(as_(DRAFTER).get(BASE))


@time_machine.travel(NOW, tick=False)
def test_a_plan_waiting_for_a_committee_member_is_in_their_pending_count(as_, dx):
    from workflow.templatetags.workflow_screens import approval_counts

    before = approval_counts(user(dx, MEMBER_A))
    plan = reviewed(dx)
    after = approval_counts(user(dx, MEMBER_A))

    assert after["tasks"] == before["tasks"] + 1
    assert after["dx_plans"] == 1
    home = html_of(as_(MEMBER_A).get("/"))
    assert f"未決 {after['tasks']}件" in section_of_tile(home)
    # The drafter's own plan is not a decision of theirs; once approved it leaves the count.
    assert approval_counts(user(dx, DRAFTER))["dx_plans"] == 0
    services.action_plan_approve(actor=user(dx, MEMBER_A), plan=plan)
    assert approval_counts(user(dx, MEMBER_A))["dx_plans"] == 0
    assert approval_counts(user(dx, MEMBER_B))["dx_plans"] == 0


def section_of_tile(html: str) -> str:
    return html.split('data-testid="approval-counts"')[1].split("</span></a>")[0]


@time_machine.travel(NOW, tick=False)
def test_labels_speak_of_a_plan_not_of_a_proposal(as_, dx):
    plan = draft(dx)
    url = f"{BASE}{plan.pk}/"

    draft_page = html_of(as_(DRAFTER).get(url))
    assert 'data-testid="plan-round">未提出<' in draft_page  # not 回次 0

    services.action_plan_submit(actor=user(dx, DRAFTER), plan=plan)
    submitted_page = html_of(as_(DRAFTER).get(url))
    assert "<dt>提出日</dt>" in submitted_page
    assert "回議開始日" not in submitted_page
    assert "回議開始日" not in html_of(as_(SECRETARIAT).get(BASE))

    services.action_plan_review(
        actor=user(dx, SECRETARIAT), plan=plan, is_cost_ok=True, is_technology_ok=True
    )
    stage = html_of(as_(MEMBER_A).get(url)).split('data-testid="plan-stage">')[1].split("</dd>")[0]
    assert stage.count("DX推進委員会") == 1


@time_machine.travel(NOW, tick=False)
def test_the_due_date_is_required_and_not_marked_optional(as_, dx):
    client = as_(DRAFTER)
    form = html_of(client.get(f"{BASE}new/"))
    due_label = form.split('for="id_report_due_on"')[1].split("</label>")[0]
    assert "任意" not in due_label

    response = client.post(
        f"{BASE}new/",
        {"title": "期限なし", "goal": "g", "estimated_cost": "100", "technology": "t"},
    )

    assert response.status_code == 400
    html = html_of(response)
    assert "data-error-summary" in html  # the error summary, which receives focus
    assert 'href="#id_report_due_on" data-error-link' in html
    assert "js/form-errors.js" in html
    assert not ActionPlan.objects.filter(title="期限なし").exists()


@time_machine.travel(NOW, tick=False)
def test_irreversible_steps_ask_first(as_, dx):
    plan = draft(dx)
    url = f"{BASE}{plan.pk}/"

    def confirms(html: str, testid: str) -> bool:
        form = html.split(f'data-testid="{testid}"')[1].split("</form>")[0]
        return "data-confirm=" in form

    drafter = html_of(as_(DRAFTER).get(url))
    assert confirms(drafter, "submit-form")
    assert confirms(drafter, "cancel-form")
    services.action_plan_submit(actor=user(dx, DRAFTER), plan=plan)
    review = html_of(as_(SECRETARIAT).get(url)).split('data-testid="review-form"')[1]
    review = review.split("</form>")[0]
    assert review.count("data-confirm=") == 2  # pass on, send back
    services.action_plan_review(
        actor=user(dx, SECRETARIAT), plan=plan, is_cost_ok=True, is_technology_ok=True
    )
    assert confirms(html_of(as_(MEMBER_A).get(url)), "approve-form")
    services.action_plan_approve(actor=user(dx, MEMBER_A), plan=plan)
    report = html_of(as_(DRAFTER).get(url)).split('data-testid="report-form"')[1].split("</form>")
    final, save = report[0].split('name="final" value="1"')[1], report[0].split('value="0"')[1]
    assert final.split(">")[0].count("data-confirm=") == 1
    assert "data-confirm=" not in save.split(">")[0]  # saving a draft report is not final
