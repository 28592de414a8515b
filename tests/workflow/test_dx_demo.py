"""The demo city can finish a DX action plan without the admin (issue 9, item 8): seed_demo
makes the DX推進委員会 group (the 副市長 and three 部長) next to the 事務局 (デジタル推進課 >
DX推進係), idempotently, and a plan goes from draft to completed with demo people only."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from audit.models import AuditEvent
from directory.demo import DX_COMMITTEE_GROUP, DX_COMMITTEE_USERNAMES, seed_demo_city
from workflow.dx import selectors, services
from workflow.dx.models import DEFAULT_COMMITTEE_GROUP_NAME
from workflow.templatetags.workflow_screens import approval_counts

pytestmark = pytest.mark.django_db

DRAFTER = "inoue.takuya"  # 財政課 財政係 主査
SECRETARIAT = "ikeda.shun"  # DX推進係 技師
VICE_MAYOR = "nakamura.kazuko"  # 副市長, on the committee


def account(username: str):
    return get_user_model().objects.get(username=username)


def test_seed_demo_makes_the_committee_the_dx_flow_expects_once():
    seed_demo_city()
    last = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first()
    seed_demo_city()

    assert DX_COMMITTEE_GROUP == DEFAULT_COMMITTEE_GROUP_NAME
    group = Group.objects.get(name=DEFAULT_COMMITTEE_GROUP_NAME)
    assert selectors.committee_group_current() == group
    assert sorted(group.user_set.values_list("username", flat=True)) == sorted(
        DX_COMMITTEE_USERNAMES
    )
    assert selectors.secretariat_unit_current().name == "デジタル推進課"
    assert not AuditEvent.objects.filter(pk__gt=last, action__startswith="directory.group")


@time_machine.travel("2026-06-01 10:00", tick=False)
def test_a_demo_plan_is_finished_by_demo_people(client):
    seed_demo_city()
    plan = services.action_plan_create(
        actor=account(DRAFTER),
        title="財務会計システムのクラウド化",
        goal="保守費を削減する",
        estimated_cost=8_000_000,
        technology="ガバメントクラウド",
        report_due_on=date(2027, 3, 31),
    )
    services.action_plan_submit(actor=account(DRAFTER), plan=plan)
    services.action_plan_review(
        actor=account(SECRETARIAT), plan=plan, is_cost_ok=True, is_technology_ok=True
    )
    plan.refresh_from_db()
    assert plan.committee_group.name == DEFAULT_COMMITTEE_GROUP_NAME

    # The 副市長's 未決 count includes the plan; the screen lets him approve it.
    assert approval_counts(account(VICE_MAYOR))["dx_plans"] == 1
    client.force_login(account(VICE_MAYOR), backend="directory.backends.LocalAccountBackend")
    response = client.post(f"/approval/dx/{plan.pk}/approve/", {"comment": "進めてください"})
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.status == "approved"

    services.action_plan_report(actor=account(DRAFTER), plan=plan, results="保守費 30% 減")
    plan.refresh_from_db()
    assert plan.status == "completed"
