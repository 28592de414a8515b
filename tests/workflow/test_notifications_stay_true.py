"""Notifications that stay true (issue: the employee's journey): a task notification closes when
the task ends for any reason; cancellation, withdrawal and 代決 tell the people concerned; with
external workers the announcement is queued in the action's own transaction (an outbox).

窓口係 主事 drafts → 窓口係長 → 市民課長 (decides); 課長補佐 stands in for the 課長.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from directory import services as directory_services
from directory.models import Notification
from directory.notifications import notifications_unread_count
from tests.workflow.test_notifications import DRAFTER, KACHO, KAKARI, on_commit, user  # noqa: F401
from workflow.models import ProposalStep
from workflow.proposals import services

pytestmark = pytest.mark.django_db

HOSA = "shimin_hosa"


def submitted(city, run):
    proposal = run(
        services.proposal_create, actor=user(city, DRAFTER), title="案内表示", category="general"
    )
    return run(services.proposal_submit, actor=user(city, DRAFTER), proposal=proposal)


def pending(proposal) -> ProposalStep:
    return ProposalStep.objects.get(proposal=proposal, state="pending")


def task_notes(city, username):
    return Notification.objects.filter(recipient=city.p(username), kind="workflow.task_created")


def test_a_task_notification_closes_when_a_deputy_does_the_task(city, on_commit):  # noqa: F811
    now = timezone.now()
    directory_services.delegation_create(
        actor=user(city, KACHO),
        deputy_username=HOSA,
        start_at=now - timedelta(hours=1),
        end_at=now + timedelta(days=1),
    )
    proposal = submitted(city, on_commit)
    on_commit(services.task_approve, actor=user(city, KAKARI), step=pending(proposal))
    waiting = task_notes(city, KACHO).get()
    assert waiting.read_at is None
    unread_before = notifications_unread_count(city.p(KACHO))

    on_commit(services.task_approve, actor=user(city, HOSA), step=pending(proposal))

    waiting.refresh_from_db()
    assert waiting.resolved_at is not None
    assert waiting.read_at is not None
    # The deputy's copy of the task closes too; the principal is told what was done for them.
    assert task_notes(city, HOSA).get().resolved_at is not None
    acted_for = Notification.objects.get(recipient=city.p(KACHO), kind="workflow.acted_for")
    assert "代決" in acted_for.title
    assert city.p(HOSA).display_name in acted_for.body
    assert notifications_unread_count(city.p(KACHO)) == unread_before  # -1 task, +1 notice


def test_cancellation_closes_tasks_and_tells_the_approvers_reached(city, on_commit):  # noqa: F811
    proposal = submitted(city, on_commit)
    on_commit(services.task_approve, actor=user(city, KAKARI), step=pending(proposal))
    assert task_notes(city, KACHO).get().resolved_at is None

    on_commit(services.proposal_cancel, actor=user(city, DRAFTER), proposal=proposal)

    assert task_notes(city, KACHO).get().resolved_at is not None
    for username in (KAKARI, KACHO):
        notice = Notification.objects.get(recipient=city.p(username), kind="workflow.cancelled")
        assert "取り下げました" in notice.body
        assert notice.title.startswith("取下げ")
    assert not Notification.objects.filter(
        recipient=city.p(DRAFTER), kind="workflow.cancelled"
    ).exists()


def test_withdrawal_tells_the_approver_whose_task_vanished(city, on_commit):  # noqa: F811
    proposal = submitted(city, on_commit)

    on_commit(services.proposal_withdraw, actor=user(city, DRAFTER), proposal=proposal)

    assert task_notes(city, KAKARI).get().resolved_at is not None
    notice = Notification.objects.get(recipient=city.p(KAKARI), kind="workflow.withdrawn")
    assert "引き戻しました" in notice.body
    # The 課長 was never reached: nothing to tell them.
    assert not Notification.objects.filter(recipient=city.p(KACHO)).exists()


def test_a_send_back_closes_the_sibling_consultations(city, on_commit):  # noqa: F811
    proposal = submitted(city, on_commit)
    step = pending(proposal)
    note = task_notes(city, KAKARI).get()

    on_commit(services.task_send_back, actor=user(city, KAKARI), step=step, comment="再考")

    note.refresh_from_db()
    assert note.resolved_at is not None


def test_with_external_workers_the_announcement_is_queued_with_the_approval(city, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    proposal = services.proposal_submit(
        actor=user(city, DRAFTER),
        proposal=services.proposal_create(
            actor=user(city, DRAFTER), title="外部ワーカー", category="general"
        ),
    )
    queued_before = set(DBTaskResult.objects.values_list("id", flat=True))

    # No on-commit callback runs here: as if the process died right after the commit.
    services.task_approve(actor=user(city, KAKARI), step=pending(proposal))

    queued = DBTaskResult.objects.exclude(id__in=queued_before)
    events = [
        row.args_kwargs["args"][0] for row in queued if row.task_path.endswith("deliver_event")
    ]
    assert events == ["ProposalTaskCreated"]  # the next step's task; no decision
    delivered = [
        row.args_kwargs["args"][1] for row in queued if row.task_path.endswith("deliver_event")
    ]
    assert delivered[0]["step_id"] == pending(proposal).pk
    assert delivered[0]["approver_id"] == pending(proposal).approver_id
