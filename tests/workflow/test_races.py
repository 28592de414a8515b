"""Races on PostgreSQL with real threads, each on its own connection (SQLite serialises writers,
and ``select_for_update`` does nothing there, so these only run in the PostgreSQL pass).

Every thread waits at a barrier, then calls the service; joins are bounded so a deadlock fails
the test instead of hanging the suite.
"""

from __future__ import annotations

import importlib
import queue
import threading
from collections import Counter
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from django.apps import apps as django_apps
from django.contrib.auth import get_user_model
from django.db import connection
from viewflow.workflow.models import Task

from audit.exceptions import Conflict
from tests.workflow.conftest import make_ruleset
from workflow.models import Decision, Proposal, ProposalStep
from workflow.proposals import services

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

DRAFTER, KAKARI, KACHO = "madoguchi_staff", "madoguchi_kakaricho", "shimin_kacho"
JOIN_TIMEOUT = 120
# PostgreSQL allows 100 connections by default and the test run holds some: at most this many
# threads at once; more work than threads is pulled from a queue by the same barrier-started set.
MAX_THREADS = 50


@pytest.fixture(autouse=True)
def _default_rules(transactional_db):
    """The flush between transactional tests drops the rules loaded by migration 0002: reload
    them (the loader is idempotent). serialized_rollback would clash with the content types
    that other transactional tests' flushes recreate."""
    migration = importlib.import_module("workflow.migrations.0002_default_authority_rules")
    migration.load_defaults(django_apps, None)


def run_concurrently(jobs: list[Callable[[], Any]]) -> list[tuple[str, Any]]:
    """Run the jobs on up to MAX_THREADS threads started together; (outcome, value) per job."""
    results: list[tuple[str, Any]] = [("not run", None)] * len(jobs)
    work: queue.SimpleQueue[int] = queue.SimpleQueue()
    for index in range(len(jobs)):
        work.put(index)
    workers = min(len(jobs), MAX_THREADS)
    barrier = threading.Barrier(workers)

    def worker() -> None:
        try:
            barrier.wait(timeout=30)
            while True:
                try:
                    index = work.get_nowait()
                except queue.Empty:
                    return
                try:
                    results[index] = ("ok", jobs[index]())
                except Exception as exc:
                    results[index] = (type(exc).__name__, exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=JOIN_TIMEOUT)
    assert not any(thread.is_alive() for thread in threads), "threads still running: deadlock?"
    return results


def user(city, username: str):
    # Each thread gets its own user instance (nothing shared but the database).
    return get_user_model().objects.get(pk=city.p(username).user_id)


def submitted(city, drafter: str = DRAFTER) -> Proposal:
    proposal = services.proposal_create(actor=user(city, drafter), title="競合", category="general")
    return services.proposal_submit(actor=user(city, drafter), proposal=proposal)


def pending(proposal: Proposal, username: str | None = None) -> ProposalStep:
    steps = ProposalStep.objects.filter(proposal=proposal, state="pending")
    if username:
        steps = steps.filter(approver__user__username=username)
    return steps.get()


def human_tasks(proposal: Proposal) -> list[tuple[str, str]]:
    """The process's review tasks (viewflow rows): owner and status, in creation order."""
    tasks = Task.objects.filter(process_id=proposal.process_id, flow_task_type="HUMAN")
    return [(t.owner.username, t.status) for t in tasks.order_by("id")]


def test_fifty_concurrent_approvals_of_one_task_give_one_success(city):
    proposal = submitted(city)
    step = pending(proposal)

    def approve() -> int:
        return services.task_approve(actor=user(city, KAKARI), step=step).pk

    results = run_concurrently([approve] * 50)

    outcomes = Counter(outcome for outcome, _ in results)
    assert outcomes == {"ok": 1, "Conflict": 49}, outcomes
    assert all(isinstance(v, Conflict) for outcome, v in results if outcome != "ok")
    assert ProposalStep.objects.get(pk=step.pk).state == "approved"
    # Exactly one next task, and one history entry for the approval.
    next_steps = ProposalStep.objects.filter(proposal=proposal, state="pending")
    assert [(s.kind, s.approver.username) for s in next_steps] == [("decide", KACHO)]
    assert Decision.objects.filter(proposal=proposal, action="approved").count() == 1
    proposal.refresh_from_db()
    assert human_tasks(proposal) == [(KAKARI, "DONE"), (KACHO, "ASSIGNED")]


def test_a_hundred_concurrent_decisions_in_one_division_number_one_to_a_hundred(city):
    decide_steps = []
    for _ in range(100):
        proposal = submitted(city)
        services.task_approve(actor=user(city, KAKARI), step=pending(proposal))
        decide_steps.append(pending(proposal, KACHO))

    def decide(step: ProposalStep) -> Callable[[], str]:
        def job() -> str:
            services.task_approve(actor=user(city, KACHO), step=step)
            return Proposal.objects.get(pk=step.proposal_id).document_number

        return job

    results = run_concurrently([decide(step) for step in decide_steps])

    assert Counter(outcome for outcome, _ in results) == {"ok": 100}, results[:3]
    numbers = sorted(Proposal.objects.values_list("number", flat=True))
    assert numbers == list(range(1, 101))
    assert sorted(v for _, v in results) == sorted(f"交市第{n}号" for n in range(1, 101))
    assert set(Proposal.objects.values_list("status", flat=True)) == {"approved"}


def test_concurrent_consultations_advance_the_route_exactly_once(city):
    make_ruleset(
        version=2,
        effective_on=date(2001, 4, 1),
        authority=[("general", 0, None, "kacho")],
        consultations=[("general", 0, None, "財政課"), ("general", 0, None, "人事課")],
    )
    proposals = []
    for _ in range(10):
        proposal = submitted(city)
        services.task_approve(actor=user(city, KAKARI), step=pending(proposal))
        proposals.append(proposal)

    def agree(step: ProposalStep, username: str) -> Callable[[], int]:
        return lambda: services.task_approve(actor=user(city, username), step=step).pk

    jobs = [
        agree(pending(proposal, username), username)
        for proposal in proposals
        for username in ("zaisei_kacho", "jinji_kacho")
    ]
    results = run_concurrently(jobs)

    assert Counter(outcome for outcome, _ in results) == {"ok": 20}
    for proposal in proposals:
        steps = ProposalStep.objects.filter(proposal=proposal).order_by("order", "id")
        assert [(s.kind, s.state) for s in steps] == [
            ("approve", "approved"),
            ("consult", "approved"),
            ("consult", "approved"),
            ("decide", "pending"),
        ]
        proposal.refresh_from_db()
        assert [t for t in human_tasks(proposal) if t[1] == "ASSIGNED"] == [(KACHO, "ASSIGNED")]


def test_send_back_racing_a_consultation_approval_leaves_no_open_task(city):
    make_ruleset(
        version=2,
        effective_on=date(2001, 4, 1),
        authority=[("general", 0, None, "kacho")],
        consultations=[("general", 0, None, "財政課"), ("general", 0, None, "人事課")],
    )
    proposals = []
    for _ in range(10):
        proposal = submitted(city)
        services.task_approve(actor=user(city, KAKARI), step=pending(proposal))
        proposals.append(proposal)

    def agree(step: ProposalStep) -> Callable[[], str]:
        return lambda: services.task_approve(actor=user(city, "zaisei_kacho"), step=step).state

    def send_back(step: ProposalStep) -> Callable[[], str]:
        return lambda: (
            services.task_send_back(
                actor=user(city, "jinji_kacho"), step=step, comment="再検討"
            ).state
        )

    jobs = []
    for proposal in proposals:
        jobs += [
            agree(pending(proposal, "zaisei_kacho")),
            send_back(pending(proposal, "jinji_kacho")),
        ]
    results = run_concurrently(jobs)

    # Every send-back wins or follows the approval; an approval after it is a Conflict.
    assert all(outcome == "ok" for outcome, _ in results[1::2])
    assert {outcome for outcome, _ in results[0::2]} <= {"ok", "Conflict"}
    for proposal in proposals:
        proposal.refresh_from_db()
        assert proposal.status == "returned"
        assert not ProposalStep.objects.filter(proposal=proposal, state="pending").exists()
        assert "ASSIGNED" not in {status for _, status in human_tasks(proposal)}
        assert proposal.process.status == "DONE"
