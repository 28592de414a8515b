"""Background work of approvals (django-tasks): announcing events after the commit.

In the embedded default the ImmediateBackend runs them in-process right after the action
commits (as before); ``KAIRAN_TASK_WORKERS=external`` queues them in the database, so the
notification rows and e-mails (an SMTP round trip each) leave the request of the approver.
"""

from __future__ import annotations

from django_tasks import task


@task()
def announce_task(task_id: int, step_id: int) -> None:
    """A review task was created: notify its approver and their deputies."""
    from workflow.notifications.announce import _announce_task

    _announce_task(task_id, step_id)


@task()
def announce_decision(decision_id: int) -> None:
    """A send-back or a decision: notify the drafter."""
    from workflow.notifications.announce import _announce_decision

    _announce_decision(decision_id)


@task()
def announce_dx_decision(decision_id: int) -> None:
    """A step of a DX action plan: notify the next reviewers or the drafter."""
    from workflow.notifications.announce import _announce_dx_decision

    _announce_dx_decision(decision_id)


@task()
def announce_stopped(proposal_id: int, round_: int, action: str) -> None:
    """Withdrawn or cancelled: notify the approvers the round had reached."""
    from workflow.notifications.announce import _announce_stopped

    _announce_stopped(proposal_id, round_, action)


@task()
def announce_acted_for(step_id: int) -> None:
    """代決: tell the principal that their deputy acted for them."""
    from workflow.notifications.announce import _announce_acted_for

    _announce_acted_for(step_id)
