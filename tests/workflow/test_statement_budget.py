"""Statements per HTTP request of an approval (issue 14, item 4): counted over the whole request
(authentication, the service, the answer), not only inside the service. With external task
workers the notification fan-out is queued in the approval's transaction (one INSERT) and done by
a worker, off the request; in the embedded default it runs right after the commit, in the
request. The budgets hold on SQLite and PostgreSQL; raise them only with a reason."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.workflow.test_notifications import DRAFTER, KAKARI, on_commit, pending, submit  # noqa: F401

pytestmark = pytest.mark.django_db

# Measured 23 (SQLite): 35 before the answer was built from the service's proposal (-1), a done
# one-step review made the hub's choice itself (-3 and a savepoint's 2), the flow's lock became
# the proposal row the service holds, with the task read once with its process (-5), and the
# approver's deputies were asked on the event's delivery instead (-1).
EXTERNAL_BUDGET = 24
EMBEDDED_BUDGET = 47  # measured 46 (SQLite): +22 for the fan-out


def approve_statements(city, as_, step, after_commit=None) -> tuple[int, list[str]]:
    """Statements of one approval over HTTP; ``after_commit`` (the tests' on-commit capture)
    runs what the commit triggers inside the count, as in the request of a real server."""
    client = as_(KAKARI)
    with CaptureQueriesContext(connection) as ctx:
        if after_commit is None:
            response = client.post(f"/api/v1/tasks/{step.pk}/approve/", {}, format="json")
        else:
            with after_commit(execute=True):
                response = client.post(f"/api/v1/tasks/{step.pk}/approve/", {}, format="json")
    assert response.status_code == 200, response.content
    assert response.data["route"][0]["state"] == "approved"
    return len(ctx.captured_queries), [q["sql"][:120] for q in ctx.captured_queries]


def test_an_approval_over_http_with_external_workers_stays_in_budget(
    city,
    as_,
    on_commit,  # noqa: F811
    settings,
):
    proposal = submit(city, on_commit)
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

    count, statements = approve_statements(city, as_, pending(proposal, KAKARI))

    print("statements", count)
    assert count <= EXTERNAL_BUDGET, "\n".join(statements)


def test_an_approval_over_http_in_the_embedded_default_stays_in_budget(
    city,
    as_,
    on_commit,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    proposal = submit(city, on_commit)

    count, statements = approve_statements(
        city, as_, pending(proposal, KAKARI), after_commit=django_capture_on_commit_callbacks
    )

    print("statements", count)
    assert count <= EMBEDDED_BUDGET, "\n".join(statements)
