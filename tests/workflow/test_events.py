"""The services publish one typed event per change, delivered after the commit through the task
queue (a transactional outbox with external workers); no model signal derives events any more.

Same city and scenario as tests/workflow/test_notifications.py: 窓口係 主事 drafts → 窓口係長 →
市民課長 (decides).
"""

from __future__ import annotations

import json
from datetime import date

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from directory.models import Notification
from tests.workflow.test_notifications import (  # noqa: F401
    DRAFTER,
    KACHO,
    KAKARI,
    events,
    on_commit,
    pending,
    submit,
    user,
)
from workflow.engine import events as engine_events
from workflow.engine.events import (
    ActionPlanApproved,
    ProposalDecided,
    ProposalStopped,
    ProposalTaskCreated,
)
from workflow.models import Decision
from workflow.proposals import services

pytestmark = pytest.mark.django_db


def kinds(received):
    return [type(event).__name__ for event in received]


def test_each_action_publishes_exactly_its_event(city, on_commit, events):  # noqa: F811
    proposal = submit(city, on_commit)
    assert kinds(events) == ["ProposalTaskCreated"]
    assert events[0].approver_id == city.p(KAKARI).pk

    events.clear()
    step = pending(proposal, KAKARI)
    on_commit(services.task_approve, actor=user(city, KAKARI), step=step)
    assert kinds(events) == ["ProposalTaskCreated"]  # the 課長's task; an approval decides nothing
    assert events[0].approver_id == city.p(KACHO).pk

    events.clear()
    step = pending(proposal, KACHO)
    on_commit(services.task_approve, actor=user(city, KACHO), step=step, comment="了")
    [decided] = events
    proposal.refresh_from_db()
    assert isinstance(decided, ProposalDecided)
    assert decided.outcome == ProposalDecided.APPROVED
    assert decided.document_number == proposal.document_number != ""
    assert (decided.actor_id, decided.comment) == (city.p(KACHO).pk, "了")


def test_a_history_row_written_outside_the_services_announces_nothing(
    city,
    on_commit,  # noqa: F811
    events,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    proposal = submit(city, on_commit)
    events.clear()

    # As a data fix or an import might: the history row alone is no event.
    with django_capture_on_commit_callbacks(execute=True):
        Decision.objects.create(
            proposal=proposal,
            round=1,
            actor=city.p(KACHO),
            action=Decision.Action.SENT_BACK,
            comment="直接書いた行",
            at=timezone.now(),
        )

    assert events == []
    assert not Notification.objects.filter(recipient=city.p(DRAFTER)).exists()


def test_a_cancellation_is_queued_with_the_change_and_delivered_by_the_worker(city, settings):
    proposal = services.proposal_submit(
        actor=user(city, DRAFTER),
        proposal=services.proposal_create(
            actor=user(city, DRAFTER), title="取り下げる案", category="general"
        ),
    )
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    before = set(DBTaskResult.objects.values_list("id", flat=True))

    # No on-commit callback runs: as if the process died right after the commit.
    services.proposal_cancel(actor=user(city, DRAFTER), proposal=proposal)

    [row] = DBTaskResult.objects.exclude(id__in=before)
    kind, payload = row.args_kwargs["args"]
    assert row.task_path == "workflow.engine.events.deliver_event"
    assert kind == "ProposalStopped"
    assert payload["action"] == ProposalStopped.CANCELLED
    assert payload["recipient_ids"] == [city.p(KAKARI).pk]  # reached; the 課長 never was
    assert not Notification.objects.filter(kind="workflow.cancelled").exists()

    # The worker runs the queued job: the reached approver is told.
    engine_events.deliver_event.call(kind, payload)
    [note] = Notification.objects.filter(kind="workflow.cancelled")
    assert note.recipient == city.p(KAKARI)


@pytest.mark.parametrize(
    "event",
    [
        ProposalTaskCreated(
            proposal_id=1,
            round=2,
            title="題",
            step_id=3,
            task_id=4,
            kind="approve",
            approver_id=5,
            drafter_id=6,
            deputies_may_act=False,
        ),
        ProposalStopped(
            proposal_id=1, round=1, title="題", drafter_id=2, action="cancelled", recipient_ids=()
        ),
        ActionPlanApproved(
            plan_id=1,
            round=1,
            title="題",
            drafter_id=2,
            actor_id=3,
            comment="",
            report_due_on=date(2027, 3, 31),
        ),
    ],
)
def test_an_event_survives_the_queue_unchanged(event):
    kind = type(event).__name__
    payload = engine_events._to_json(event)

    restored = engine_events._from_json(
        engine_events._EVENT_TYPES[kind], json.loads(json.dumps(payload))
    )

    assert restored == event
