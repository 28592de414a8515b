"""Races on PostgreSQL with real threads, each on its own connection (SQLite serialises writers,
so these run in the PostgreSQL pass only): register numbers stay gap-free, one blob per
content, version numbers stay unique."""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from django.db import connection

from directory.models import OrgUnit
from documents import registers, services
from documents.models import Blob, Document, DocumentVersion, RegisterEntry
from tests.documents.conftest import make_pdf
from tests.factories import OrgUnitFactory, make_person

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
JOIN_TIMEOUT = 120


@pytest.fixture
def actor(transactional_db):
    """A 主事 of 財政係 under 財政課 (the shared ``org`` fixture is not transactional)."""
    division = OrgUnitFactory(name="財政課", level=OrgUnit.Level.DIVISION)
    section = OrgUnitFactory(name="財政係", level=OrgUnit.Level.SECTION, parent=division)
    return make_person("race.staff", "財政 主事", section, "主事").user


def run_concurrently(jobs: list[Callable[[], Any]]) -> list[tuple[str, Any]]:
    results: list[tuple[str, Any]] = [("not run", None)] * len(jobs)
    barrier = threading.Barrier(len(jobs))

    def worker(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[index] = ("ok", jobs[index]())
        except Exception as exc:
            results[index] = (type(exc).__name__, exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=JOIN_TIMEOUT)
    assert not any(thread.is_alive() for thread in threads), "threads still running: deadlock?"
    return results


def test_concurrent_register_entries_are_numbered_without_gaps(actor):

    def register(i: int) -> Callable[[], int]:
        return lambda: (
            registers.register_entry_create(
                actor=actor, kind="incoming", on=date(2026, 6, 1), counterpart="府", subject=f"{i}"
            ).number
        )

    results = run_concurrently([register(i) for i in range(20)])

    assert [outcome for outcome, _ in results] == ["ok"] * 20
    assert sorted(number for _, number in results) == list(range(1, 21))
    assert RegisterEntry.objects.count() == 20


def test_concurrent_uploads_of_the_same_content_share_one_blob(actor, media_root):
    data = make_pdf(["same"])

    def upload(i: int) -> Callable[[], int]:
        return lambda: (
            services.document_upload(
                actor=actor,
                content=io.BytesIO(data),
                name="a.pdf",
                size_bytes=len(data),
                title=f"{i}",
            ).pk
        )

    results = run_concurrently([upload(i) for i in range(10)])

    assert [outcome for outcome, _ in results] == ["ok"] * 10
    assert Document.objects.count() == 10
    assert Blob.objects.count() == 1
    assert len([p for p in media_root.rglob("*") if p.is_file()]) == 1


def test_concurrent_new_versions_get_distinct_numbers(actor):
    first = make_pdf(["v1"])
    document = services.document_upload(
        actor=actor, content=io.BytesIO(first), name="a.pdf", size_bytes=len(first), title="t"
    )

    def add(i: int) -> Callable[[], int]:
        data = make_pdf([f"version {i}"])
        return lambda: (
            services.document_add_version(
                actor=actor,
                document=document,
                content=io.BytesIO(data),
                name="b.pdf",
                size_bytes=len(data),
            ).number
        )

    results = run_concurrently([add(i) for i in range(8)])

    assert [outcome for outcome, _ in results] == ["ok"] * 8, [str(v) for _, v in results]
    numbers = sorted(
        DocumentVersion.objects.filter(document=document).values_list("number", flat=True)
    )
    assert numbers == list(range(1, 10))
    document.refresh_from_db()
    assert document.current_version.number == 9
