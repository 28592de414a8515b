"""The DX action plan (issue 3, item 7): a second process definition on the engine.

The city is tests/workflow/conftest.py's, plus a デジタル推進課 > DX推進係 (the 事務局 by
default) and a DX推進委員会 group. A 主事 of 市民課 > 窓口係 drafts; 市民課's members may
read; 税務課 may not.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import DatabaseError, connection, transaction
from rest_framework.test import APIClient
from viewflow.workflow.models import Process, Task

from audit.exceptions import Conflict, PermissionRefused, ValidationFailed
from audit.models import AuditEvent
from audit.selectors import chain_verify
from directory.models import OrgUnit
from workflow.dx import selectors, services
from workflow.dx.flows import DXActionPlanFlow
from workflow.models import ActionPlan, DXDecision

pytestmark = pytest.mark.django_db

TOKYO = ZoneInfo("Asia/Tokyo")
API = "/api/v1/dx/action-plans/"
DRAFTER, COLLEAGUE, OUTSIDER = "madoguchi_staff", "shimin_kacho", "zeimu_staff"
SECRETARIAT, SECRETARIAT_HEAD = "dx_staff", "dx_kacho"
MEMBER_A, MEMBER_B = "deputy", "somu_bucho"
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
    # A fresh instance: group and permission caches live on the user object.
    return get_user_model().objects.get(pk=city.p(username).user_id)


@pytest.fixture
def as_(dx):
    def client_for(username: str) -> APIClient:
        client = APIClient()
        client.force_authenticate(user(dx, username))
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


def history(plan: ActionPlan) -> list[tuple[int, str, str]]:
    return [(d.round, d.action, d.actor.username) for d in selectors.action_plan_history(plan)]


def tasks(plan: ActionPlan) -> list[tuple[str, str, str | None]]:
    """viewflow's task rows of the plan's process: node, status, owner, in creation order."""
    rows = Task.objects.filter(process_id=plan.process_id).order_by("id")
    return [(t.flow_task.name, t.status, t.owner.username if t.owner else None) for t in rows]


# --- end to end -------------------------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_end_to_end_with_a_send_back_by_the_secretariat(as_, dx):
    created = as_(DRAFTER).post(
        API,
        {
            "title": "窓口予約のオンライン化",
            "goal": "待ち時間を半減する",
            "estimated_cost": 3_000_000,
            "technology": "SaaS 予約システム",
            "report_due_on": "2027-03-31",
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    plan_id = created.json()["id"]
    assert created.json()["owning_unit"] == "市民課"
    assert created.json()["status"] == "draft"
    url = f"{API}{plan_id}/"

    submitted_ = as_(DRAFTER).post(f"{url}submit/")
    assert submitted_.status_code == 200, submitted_.content
    body = submitted_.json()
    assert (body["status"], body["stage"], body["round"]) == ("in_review", "secretariat", 1)
    assert body["secretariat_unit"] == "デジタル推進課"
    # Unassigned: any member of the secretariat (a 係 below the 課 too) may take it.
    assert body["task"] == {
        "id": body["task"]["id"],
        "node": "review",
        "status": "NEW",
        "owner": None,
    }
    assert [p["id"] for p in as_(SECRETARIAT).get(f"{API}tasks/").json()] == [plan_id]
    assert [p["id"] for p in as_(SECRETARIAT_HEAD).get(f"{API}tasks/").json()] == [plan_id]

    no_comment = as_(SECRETARIAT).post(f"{url}send-back/", {"comment": " "}, format="json")
    assert no_comment.status_code == 400
    assert ActionPlan.objects.get(pk=plan_id).status == "in_review"

    sent_back = as_(SECRETARIAT).post(
        f"{url}send-back/",
        {"comment": "費用の内訳を", "is_cost_ok": False, "cost_comment": "保守費が未計上"},
        format="json",
    )
    assert sent_back.status_code == 200, sent_back.content
    body = sent_back.json()
    assert (body["status"], body["stage"]) == ("returned", "drafter")
    assert (body["task"]["node"], body["task"]["owner"]) == ("revise", DRAFTER)
    entry = body["history"][-1]
    assert (entry["action"], entry["comment"], entry["is_cost_ok"]) == (
        "sent_back",
        "費用の内訳を",
        False,
    )
    assert entry["cost_comment"] == "保守費が未計上"

    patched = as_(DRAFTER).patch(url, {"estimated_cost": 3_600_000}, format="json")
    assert patched.status_code == 200
    resubmitted = as_(DRAFTER).post(f"{url}submit/")
    assert (resubmitted.json()["status"], resubmitted.json()["round"]) == ("in_review", 2)

    not_both = as_(SECRETARIAT).post(
        f"{url}review/", {"is_cost_ok": True, "is_technology_ok": False}, format="json"
    )
    assert not_both.status_code == 400
    passed = as_(SECRETARIAT_HEAD).post(
        f"{url}review/",
        {
            "is_cost_ok": True,
            "cost_comment": "妥当",
            "is_technology_ok": True,
            "technology_comment": "標準仕様に適合",
        },
        format="json",
    )
    assert passed.status_code == 200, passed.content
    body = passed.json()
    assert (body["stage"], body["committee_group"]) == ("committee", "DX推進委員会")
    assert body["task"]["node"] == "approval"

    approved_ = as_(MEMBER_B).post(f"{url}approve/", {"comment": "承認"}, format="json")
    assert approved_.status_code == 200, approved_.content
    body = approved_.json()
    assert (body["status"], body["task"]["node"], body["task"]["owner"]) == (
        "approved",
        "report",
        DRAFTER,
    )
    assert as_(MEMBER_A).post(f"{url}approve/").status_code == 409

    saved = as_(DRAFTER).post(
        f"{url}report/", {"results": "待ち時間 -40%", "is_final": False}, format="json"
    )
    assert (saved.json()["status"], saved.json()["task"]["status"]) == ("reporting", "STARTED")
    assert as_(DRAFTER).post(f"{url}report/", {"results": ""}, format="json").status_code == 400
    done = as_(DRAFTER).post(f"{url}report/", {"results": "待ち時間 -45%"}, format="json")
    assert done.status_code == 200, done.content
    body = done.json()
    assert (body["status"], body["results"], body["task"]) == ("completed", "待ち時間 -45%", None)

    plan = ActionPlan.objects.get(pk=plan_id)
    assert history(plan) == [
        (0, "created", DRAFTER),
        (1, "submitted", DRAFTER),
        (1, "sent_back", SECRETARIAT),
        (1, "updated", DRAFTER),
        (2, "submitted", DRAFTER),
        (2, "reviewed", SECRETARIAT_HEAD),
        (2, "approved", MEMBER_B),
        (2, "report_saved", DRAFTER),
        (2, "completed", DRAFTER),
    ]
    review = DXDecision.objects.get(plan=plan, action="reviewed")
    assert (review.is_cost_ok, review.cost_comment, review.is_technology_ok) == (True, "妥当", True)
    events = AuditEvent.objects.filter(target_type="workflow.actionplan", target_id=str(plan_id))
    assert [e.action for e in events.order_by("seq")] == [
        "dx.action_plan_created",
        "dx.action_plan_submitted",
        "dx.action_plan_sent_back",
        "dx.action_plan_updated",
        "dx.action_plan_submitted",
        "dx.action_plan_reviewed",
        "dx.action_plan_approved",
        "dx.action_plan_report_saved",
        "dx.action_plan_completed",
    ]
    assert chain_verify().ok

    # viewflow: one process for the plan's life, every task finished, the loop visible.
    assert Process.objects.get(pk=plan.process_id).status == "DONE"
    assert tasks(plan) == [
        ("start", "DONE", None),
        ("review", "DONE", SECRETARIAT),
        ("reviewed", "DONE", None),
        ("revise", "DONE", DRAFTER),
        ("review", "DONE", SECRETARIAT_HEAD),
        ("reviewed", "DONE", None),
        ("approval", "DONE", MEMBER_B),
        ("report", "DONE", DRAFTER),
        ("end", "DONE", None),
    ]


# --- visibility and refusals ------------------------------------------------------------------


def test_visibility_owning_unit_secretariat_committee_auditors_and_nobody_else(as_, dx):
    plan = draft(dx)
    url = f"{API}{plan.pk}/"
    # A draft: the drafter's 課 only (and auditors).
    assert as_(COLLEAGUE).get(url).status_code == 200
    assert as_(SECRETARIAT).get(url).status_code == 404
    assert as_(MEMBER_A).get(url).status_code == 404
    services.action_plan_submit(actor=user(dx, DRAFTER), plan=plan)
    for username in (DRAFTER, COLLEAGUE, SECRETARIAT, SECRETARIAT_HEAD, MEMBER_A):
        assert as_(username).get(url).status_code == 200, username
    assert as_(OUTSIDER).get(url).status_code == 404
    assert [p["id"] for p in as_(OUTSIDER).get(API).json()] == []
    auditor = user(dx, OUTSIDER)
    auditor.user_permissions.add(Permission.objects.get(codename="view_auditevent"))
    assert as_(OUTSIDER).get(url).status_code == 200


def test_an_outsider_can_neither_see_nor_act(as_, dx):
    plan = submitted(dx)
    url = f"{API}{plan.pk}/"
    for action in ("review/", "send-back/", "approve/", "claim/", "submit/", "cancel/"):
        assert as_(OUTSIDER).post(f"{url}{action}", {}, format="json").status_code == 404
    with pytest.raises(PermissionRefused):
        services.action_plan_review(
            actor=user(dx, OUTSIDER), plan=plan, is_cost_ok=True, is_technology_ok=True
        )
    with pytest.raises(PermissionRefused):
        services.action_plan_cancel(actor=user(dx, OUTSIDER), plan=plan)
    assert ActionPlan.objects.get(pk=plan.pk).status == "in_review"


def test_staff_outside_the_secretariat_cannot_review(as_, dx):
    plan = submitted(dx)
    url = f"{API}{plan.pk}/"
    ok = {"is_cost_ok": True, "is_technology_ok": True}
    # Colleagues of the drafter see the plan, but reviewing is the secretariat's.
    assert as_(COLLEAGUE).post(f"{url}review/", ok, format="json").status_code == 403
    assert (
        as_(COLLEAGUE).post(f"{url}send-back/", {"comment": "x"}, format="json").status_code == 403
    )
    # Committee members may not skip the secretariat either, nor approve before its review.
    assert as_(MEMBER_A).post(f"{url}review/", ok, format="json").status_code == 403
    assert as_(MEMBER_A).post(f"{url}approve/").status_code == 409
    # The secretariat does not approve for the committee.
    assert as_(SECRETARIAT).post(f"{url}approve/").status_code == 403
    assert ActionPlan.objects.get(pk=plan.pk).reviewed_at is None


def test_the_drafter_never_reviews_or_approves_their_own_plan(dx):
    dx.add_post(DRAFTER, "DX推進係", "主事")  # 兼務 in the secretariat
    dx.p(DRAFTER).user.groups.add(Group.objects.get(name="DX推進委員会"))
    plan = submitted(dx)
    with pytest.raises(PermissionRefused):
        services.action_plan_review(
            actor=user(dx, DRAFTER), plan=plan, is_cost_ok=True, is_technology_ok=True
        )
    plan = services.action_plan_review(
        actor=user(dx, SECRETARIAT), plan=plan, is_cost_ok=True, is_technology_ok=True
    )
    with pytest.raises(PermissionRefused):
        services.action_plan_approve(actor=user(dx, DRAFTER), plan=plan)


def test_drafting_and_submission_refusals(as_, dx):
    bad = as_(DRAFTER).post(
        API, {"title": "", "goal": "g", "estimated_cost": -1, "technology": "t"}, format="json"
    )
    assert bad.status_code == 400
    with pytest.raises(ValidationFailed):
        draft(dx, goal="  ")
    with time_machine.travel(NOW, tick=False), pytest.raises(ValidationFailed):
        draft(dx, report_due_on=date(2026, 6, 1))
    plan = draft(dx, report_due_on=None)
    with pytest.raises(ValidationFailed):
        services.action_plan_submit(actor=user(dx, DRAFTER), plan=plan)
    services.action_plan_update(actor=user(dx, DRAFTER), plan=plan, report_due_on=DUE)
    with pytest.raises(PermissionRefused):
        services.action_plan_submit(actor=user(dx, COLLEAGUE), plan=plan)
    services.action_plan_submit(actor=user(dx, DRAFTER), plan=plan)
    with pytest.raises(Conflict):
        services.action_plan_submit(actor=user(dx, DRAFTER), plan=plan)
    with pytest.raises(Conflict):
        services.action_plan_update(actor=user(dx, DRAFTER), plan=plan, title="変更")
    with pytest.raises(Conflict):
        services.action_plan_report(actor=user(dx, DRAFTER), plan=plan, results="早すぎる")


def test_double_committee_approval_conflicts(dx):
    plan = reviewed(dx)
    services.action_plan_approve(actor=user(dx, MEMBER_A), plan=plan)
    with pytest.raises(Conflict):
        services.action_plan_approve(actor=user(dx, MEMBER_B), plan=plan)
    with pytest.raises(Conflict):
        services.action_plan_approve(actor=user(dx, MEMBER_A), plan=plan)
    assert [a for _, a, _ in history(plan)].count("approved") == 1
    assert [t for t in tasks(plan) if t[0] == "report"] == [("report", "ASSIGNED", DRAFTER)]


def test_a_claimed_task_is_for_its_claimant(as_, dx):
    plan = submitted(dx)
    url = f"{API}{plan.pk}/"
    claimed = as_(SECRETARIAT_HEAD).post(f"{url}claim/")
    assert claimed.status_code == 200
    assert claimed.json()["task"]["owner"] == SECRETARIAT_HEAD
    assert as_(SECRETARIAT).post(f"{url}claim/").status_code == 409
    ok = {"is_cost_ok": True, "is_technology_ok": True}
    assert as_(SECRETARIAT).post(f"{url}review/", ok, format="json").status_code == 409
    assert as_(SECRETARIAT_HEAD).post(f"{url}review/", ok, format="json").status_code == 200
    assert history(plan)[-2:] == [
        (1, "claimed", SECRETARIAT_HEAD),
        (1, "reviewed", SECRETARIAT_HEAD),
    ]


def test_cancel_before_approval_ends_the_process(dx):
    plan = submitted(dx)
    with pytest.raises(PermissionRefused):
        services.action_plan_cancel(actor=user(dx, SECRETARIAT), plan=plan)
    services.action_plan_cancel(actor=user(dx, DRAFTER), plan=plan)
    plan.refresh_from_db()
    assert plan.status == "cancelled"
    assert Process.objects.get(pk=plan.process_id).status == "CANCELED"
    assert ("review", "CANCELED", None) in tasks(plan)
    with pytest.raises(Conflict):
        services.action_plan_review(
            actor=user(dx, SECRETARIAT), plan=plan, is_cost_ok=True, is_technology_ok=True
        )
    with pytest.raises(Conflict):
        services.action_plan_cancel(actor=user(dx, DRAFTER), plan=approved(dx))


# --- configuration ----------------------------------------------------------------------------


def test_the_secretariat_and_committee_are_configurable(dx):
    admin = get_user_model().objects.create_superuser("dxadmin", password="x")
    with pytest.raises(PermissionRefused):
        services.dx_settings_update(
            actor=user(dx, OUTSIDER), secretariat_unit=dx.u("財政課"), committee_group=None
        )
    other = Group.objects.create(name="DX委員会(臨時)")
    dx.p("zaisei_kacho").user.groups.add(other)
    services.dx_settings_update(actor=admin, secretariat_unit=dx.u("財政課"), committee_group=other)

    plan = submitted(dx)
    assert plan.secretariat_unit == dx.u("財政課")
    with pytest.raises(PermissionRefused):
        services.action_plan_review(
            actor=user(dx, SECRETARIAT), plan=plan, is_cost_ok=True, is_technology_ok=True
        )
    # 財政係 is below 財政課: its 主事 is a member of the secretariat.
    assert [p.pk for p in selectors.action_plan_tasks_for_user(user=user(dx, "zaisei_staff"))] == [
        plan.pk
    ]
    assert selectors.action_plan_tasks_for_user(user=user(dx, SECRETARIAT)) == []
    plan = services.action_plan_review(
        actor=user(dx, "zaisei_staff"), plan=plan, is_cost_ok=True, is_technology_ok=True
    )
    assert plan.committee_group == other
    with pytest.raises(PermissionRefused):
        services.action_plan_approve(actor=user(dx, MEMBER_A), plan=plan)
    services.action_plan_approve(actor=user(dx, "zaisei_kacho"), plan=plan)
    assert AuditEvent.objects.filter(action="dx.settings_updated").count() == 1

    # A plan already at a body keeps it when the settings change again.
    pending = submitted(dx, title="別の計画")
    services.dx_settings_update(actor=admin, secretariat_unit=None, committee_group=None)
    with pytest.raises(PermissionRefused):
        services.action_plan_review(
            actor=user(dx, SECRETARIAT), plan=pending, is_cost_ok=True, is_technology_ok=True
        )
    assert selectors.secretariat_unit_current() == dx.u("デジタル推進課")


def test_defaults_fall_back_to_dx_suishin_kakari_and_refuse_without_a_secretariat(city):
    with pytest.raises(Conflict):
        submitted(city)  # no デジタル推進課, no DX推進係, nothing configured
    city.units["DX推進係"] = OrgUnit.objects.create(
        name="DX推進係", level=3, parent=city.u("総務課")
    )
    assert selectors.secretariat_unit_current() == city.u("DX推進係")
    assert selectors.committee_group_current() is None
    city.add("dx_only", "DX推進係", "主事")
    plan = submitted(city)
    with pytest.raises(Conflict):  # no committee to pass it on to
        services.action_plan_review(
            actor=user(city, "dx_only"), plan=plan, is_cost_ok=True, is_technology_ok=True
        )
    assert ActionPlan.objects.get(pk=plan.pk).reviewed_at is None


# --- results report and overdue ---------------------------------------------------------------


def test_overdue_results_reports(as_, dx):
    with time_machine.travel(NOW, tick=False):
        late = approved(dx, title="遅れる計画", report_due_on=date(2026, 9, 30))
        on_time = approved(dx, title="間に合う計画", report_due_on=date(2026, 9, 30))
        later = approved(dx, title="期限が先", report_due_on=date(2027, 3, 31))
        submitted(dx, title="審査中", report_due_on=date(2026, 9, 30))
    assert list(selectors.action_plans_overdue(date(2026, 9, 30))) == []
    with time_machine.travel("2026-10-01 09:00 +09:00", tick=False):
        services.action_plan_report(actor=user(dx, DRAFTER), plan=on_time, results="達成")
        assert list(selectors.action_plans_overdue()) == [late]
        assert list(selectors.action_plans_overdue(date(2027, 4, 1))) == [late, later]
        response = as_(COLLEAGUE).get(API, {"overdue": "1"})
        assert [(p["id"], p["is_overdue"]) for p in response.json()] == [(late.pk, True)]
        assert as_(OUTSIDER).get(API, {"overdue": "1"}).json() == []
        assert list(selectors.action_plans_overdue(user=user(dx, OUTSIDER))) == []
        # Saving a draft of the results does not make it less overdue.
        services.action_plan_report(
            actor=user(dx, DRAFTER), plan=late, results="途中", is_final=False
        )
        assert list(selectors.action_plans_overdue()) == [late]
    with pytest.raises(PermissionRefused):
        services.action_plan_report(actor=user(dx, COLLEAGUE), plan=late, results="代わりに")
    with pytest.raises(Conflict):
        services.action_plan_report(actor=user(dx, DRAFTER), plan=on_time, results="二度目")


def test_the_committee_may_set_another_report_due_date(dx):
    plan = services.action_plan_approve(
        actor=user(dx, MEMBER_A), plan=reviewed(dx), report_due_on=date(2030, 3, 31)
    )
    assert ActionPlan.objects.get(pk=plan.pk).report_due_on == date(2030, 3, 31)


@pytest.mark.postgres
def test_history_is_append_only_on_postgresql(dx):
    plan = draft(dx)
    entry = DXDecision.objects.get(plan=plan)
    with pytest.raises(DatabaseError), transaction.atomic():
        DXDecision.objects.filter(pk=entry.pk).update(comment="改ざん")
    with pytest.raises(DatabaseError), transaction.atomic():
        DXDecision.objects.filter(pk=entry.pk).delete()


def test_the_flow_class_locks_and_has_the_documented_nodes():
    from viewflow.workflow import lock

    assert DXActionPlanFlow.lock_impl is lock.select_for_update_lock
    names = {node.name for node in DXActionPlanFlow.instance.nodes()}
    assert names == {"start", "review", "reviewed", "revise", "approval", "report", "end"}


# --- races (PostgreSQL: SQLite serialises writers and ignores select_for_update) ---------------

JOIN_TIMEOUT = 60


def race(*jobs: Callable[[], Any]) -> list[str]:
    """Run the jobs on threads started together, each on its own connection: outcomes."""
    outcomes = ["not run"] * len(jobs)
    barrier = threading.Barrier(len(jobs))

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            jobs[index]()
            outcomes[index] = "ok"
        except Exception as exc:
            outcomes[index] = type(exc).__name__
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=JOIN_TIMEOUT)
    assert not any(t.is_alive() for t in threads), "threads still running: deadlock?"
    return outcomes


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("rounds", [5])
def test_two_committee_members_approving_at_once_give_one_success(dx, rounds):
    for _ in range(rounds):
        plan = reviewed(dx)

        def approve(username: str, plan: ActionPlan = plan) -> Callable[[], Any]:
            return lambda: services.action_plan_approve(actor=user(dx, username), plan=plan)

        outcomes = race(approve(MEMBER_A), approve(MEMBER_B))

        assert sorted(outcomes) == ["Conflict", "ok"], outcomes
        assert [a for _, a, _ in history(plan)].count("approved") == 1
        assert ActionPlan.objects.get(pk=plan.pk).status == "approved"
        # Never two next tasks: one approval done (by the winner), one report task.
        winner = MEMBER_A if outcomes[0] == "ok" else MEMBER_B
        assert [t for t in tasks(plan) if t[0] in ("approval", "report")] == [
            ("approval", "DONE", winner),
            ("report", "ASSIGNED", DRAFTER),
        ]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_send_back_racing_a_review_gives_one_success(dx):
    plan = submitted(dx)
    outcomes = race(
        lambda: services.action_plan_review(
            actor=user(dx, SECRETARIAT), plan=plan, is_cost_ok=True, is_technology_ok=True
        ),
        lambda: services.action_plan_send_back(
            actor=user(dx, SECRETARIAT_HEAD), plan=plan, comment="再検討を"
        ),
    )

    assert sorted(outcomes) == ["Conflict", "ok"], outcomes
    plan.refresh_from_db()
    open_tasks = [t for t in tasks(plan) if t[1] in ("NEW", "ASSIGNED")]
    expected = (
        ("approval", "NEW", None) if plan.stage == "committee" else ("revise", "ASSIGNED", DRAFTER)
    )
    assert open_tasks == [expected]
    assert chain_verify().ok


def test_the_settings_are_edited_in_the_admin_and_audited(client, dx):
    admin = get_user_model().objects.create_superuser("dxadmin", password="x")
    client.force_login(admin)
    response = client.post(
        "/admin/workflow/dxsettings/add/",
        {"secretariat_unit": dx.u("財政課").pk, "committee_group": ""},
    )
    assert response.status_code == 302, response.content
    assert selectors.secretariat_unit_current() == dx.u("財政課")
    assert selectors.committee_group_current() == Group.objects.get(name="DX推進委員会")
    event = AuditEvent.objects.get(action="dx.settings_updated")
    assert (event.actor_username, event.details["secretariat_unit"]) == ("dxadmin", "財政課")
    assert client.get("/admin/workflow/dxsettings/add/").status_code == 403  # one row only
    assert client.get(f"/admin/workflow/actionplan/{draft(dx).pk}/change/").status_code == 200


def test_lists_take_a_bounded_number_of_queries(as_, dx, django_assert_max_num_queries):
    """12 queries whatever the number of plans: one more per plan (8 here) would exceed it."""
    for n in range(8):
        plan = submitted(dx, title=f"計画{n}")
        if n % 2:
            services.action_plan_review(
                actor=user(dx, SECRETARIAT), plan=plan, is_cost_ok=True, is_technology_ok=True
            )
    client = as_(COLLEAGUE)
    with django_assert_max_num_queries(12):
        plans = client.get(API).json()
    assert [p["task"]["node"] for p in plans] == ["approval", "review"] * 4
    client = as_(SECRETARIAT)
    with django_assert_max_num_queries(12):
        assert len(client.get(f"{API}tasks/").json()) == 4
