"""Writes under load (PostgreSQL): services lock only the rows they mean, in one order, and a lock
conflict that can still happen is run again — never answered as a server error.

Every thread is joined with a bound, and the statements of the main connection run under a
``lock_timeout``, so a lock wait that should not exist fails the test instead of hanging it.
"""

from __future__ import annotations

import io
import re
import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, connections, transaction
from django.db.utils import OperationalError

from audit.exceptions import Busy
from audit.selectors import chain_verify
from audit.transactions import atomic_service, is_lock_conflict, run_atomic
from directory.models import OrgUnit
from documents import services as documents_services
from documents.models import Document
from tests.documents.conftest import make_pdf
from tests.workflow.test_races import (
    DRAFTER,
    KACHO,
    KAKARI,
    pending,
    run_concurrently,
    submitted,
    user,
)
from workflow.models import Category, Proposal
from workflow.proposals import services

ROOT = Path(__file__).resolve().parents[2]
APPS = ("audit", "directory", "documents", "workflow", "chat", "council", "config")


def test_every_row_lock_in_the_code_names_its_rows():
    """Without ``of=`` a locking query with a join also locks the joined shared rows (a category,
    a unit) and serialises unrelated work; without ``no_key`` it blocks every insert that
    references the row until commit. This runs on every database: it reads the code."""
    offenders = []
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            for match in re.finditer(r"\.select_for_update\(", text):
                arguments = _call_arguments(text, match.end())
                if "of=" not in arguments or "no_key=True" not in arguments:
                    line = text.count("\n", 0, match.start()) + 1
                    offenders.append(f"{path.relative_to(ROOT)}:{line}")
    assert offenders == []


def _call_arguments(text: str, start: int) -> str:
    """The text between the parenthesis opened just before ``start`` and the one closing it."""
    depth = 1
    for end in range(start, len(text)):
        depth += {"(": 1, ")": -1}.get(text[end], 0)
        if depth == 0:
            return text[start:end]
    return text[start:]


class RowHolder:
    """Another connection that updates rows (as an admin edit or a directory sync does) and keeps
    its transaction open until ``release()``."""

    def __init__(self, statements: list[tuple[str, list[Any]]]) -> None:
        self._statements = statements
        self._held = threading.Event()
        self._release = threading.Event()
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> RowHolder:
        self._thread.start()
        assert self._held.wait(timeout=30), "the holder never got its rows"
        if self.error:
            raise self.error
        return self

    def __exit__(self, *exc: object) -> None:
        self._release.set()
        self._thread.join(timeout=30)
        assert not self._thread.is_alive()

    def _run(self) -> None:
        conn = connections["default"]
        try:
            conn.set_autocommit(False)
            with conn.cursor() as cur:
                for sql, params in self._statements:
                    cur.execute(sql, params)
            self._held.set()
            self._release.wait(timeout=60)
            conn.rollback()
        except BaseException as exc:
            self.error = exc
            self._held.set()
        finally:
            conn.set_autocommit(True)
            conn.close()


@pytest.fixture
def lock_timeout():
    with connection.cursor() as cur:
        cur.execute("SET lock_timeout = '3s'")
    yield
    with connection.cursor() as cur:
        cur.execute("RESET lock_timeout")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_approval_completes_while_its_category_and_units_are_held(city, lock_timeout):
    proposal = submitted(city)
    units = list(
        OrgUnit.objects.filter(
            pk__in=[proposal.drafting_unit_id, city.u("窓口係").pk, city.u("市民課").pk]
        ).values_list("pk", flat=True)
    )
    category = Category.objects.get(code="general")
    statements = [
        ("UPDATE workflow_category SET name = name WHERE id = %s", [category.pk]),
        *[("UPDATE directory_orgunit SET name = name WHERE id = %s", [pk]) for pk in units],
    ]

    with RowHolder(statements):
        services.task_approve(actor=user(city, KAKARI), step=pending(proposal))
        services.task_approve(actor=user(city, KACHO), step=pending(proposal))
        second = services.proposal_submit(
            actor=user(city, DRAFTER),
            proposal=services.proposal_create(
                actor=user(city, DRAFTER), title="保持中の起案", category="general"
            ),
        )

    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.APPROVED
    assert proposal.document_number
    assert second.status == Proposal.Status.IN_REVIEW


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_creating_submitting_approving_and_uploading_at_once_gives_no_error(
    city, media_root, lock_timeout
):
    in_review = [submitted(city) for _ in range(8)]
    decide = []
    for _ in range(6):
        proposal = submitted(city)
        services.task_approve(actor=user(city, KAKARI), step=pending(proposal))
        decide.append(proposal)

    def create_and_submit(i: int) -> Callable[[], Any]:
        def job() -> Any:
            drafter = user(city, DRAFTER)
            draft = services.proposal_create(
                actor=drafter, title=f"同時起案{i}", category="general"
            )
            return services.proposal_submit(actor=drafter, proposal=draft).status

        return job

    def approve(proposal: Proposal, username: str) -> Callable[[], Any]:
        return lambda: services.task_approve(actor=user(city, username), step=pending(proposal)).pk

    def upload(i: int) -> Callable[[], Any]:
        data = make_pdf([f"見積書 {i}"])
        return lambda: (
            documents_services.document_upload(
                actor=user(city, DRAFTER),
                content=io.BytesIO(data),
                name="mitsumori.pdf",
                size_bytes=len(data),
                title=f"見積書{i}",
            ).pk
        )

    jobs = (
        [create_and_submit(i) for i in range(10)]
        + [approve(p, KAKARI) for p in in_review]
        + [approve(p, KACHO) for p in decide]
        + [upload(i) for i in range(8)]
    )
    results = run_concurrently(jobs)

    outcomes = Counter(outcome for outcome, _ in results)
    assert outcomes == {"ok": len(jobs)}, [r for r in results if r[0] != "ok"]
    assert Proposal.objects.filter(title__startswith="同時起案", status="in_review").count() == 10
    numbers = sorted(
        int(re.search(r"第(\d+)号", p.document_number).group(1))
        for p in Proposal.objects.filter(pk__in=[p.pk for p in decide])
    )
    assert numbers == list(range(1, 7))  # gap-free under concurrent decisions
    assert Document.objects.filter(title__startswith="見積書").count() == 8
    assert chain_verify().ok


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_deadlock_is_run_again_not_raised(city):
    first, second = city.u("窓口係").pk, city.u("市民課").pk
    barrier = threading.Barrier(2, timeout=30)
    attempts: Counter[str] = Counter()

    def locker(name: str, order: tuple[int, int]) -> Callable[[], str]:
        @atomic_service
        def lock_both() -> str:
            attempts[name] += 1
            OrgUnit.objects.select_for_update(of=("self",), no_key=True).get(pk=order[0])
            if attempts[name] == 1:
                barrier.wait()  # both hold their first row: the second lock closes the cycle
            OrgUnit.objects.select_for_update(of=("self",), no_key=True).get(pk=order[1])
            return name

        return lock_both

    results = run_concurrently([locker("a", (first, second)), locker("b", (second, first))])

    assert sorted(value for _, value in results) == ["a", "b"], results
    # PostgreSQL broke the cycle by failing one of them; that one ran again.
    assert sorted(attempts.values()) == [1, 2]


def _raise_deadlock() -> None:
    with connection.cursor() as cur:
        cur.execute("DO $$ BEGIN RAISE EXCEPTION USING ERRCODE = 'deadlock_detected'; END $$")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_conflict_that_persists_is_busy_after_every_attempt():
    calls: Counter[str] = Counter()

    def work() -> None:
        calls["n"] += 1
        _raise_deadlock()

    with pytest.raises(Busy) as raised:
        run_atomic(work)

    assert raised.value.status_code == 503
    assert calls["n"] == 5


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_inside_an_outer_transaction_a_conflict_is_left_to_its_owner():
    calls: Counter[str] = Counter()

    def work() -> None:
        calls["n"] += 1
        _raise_deadlock()

    with pytest.raises(OperationalError) as raised, transaction.atomic():
        run_atomic(work)

    assert is_lock_conflict(raised.value)
    assert calls["n"] == 1
