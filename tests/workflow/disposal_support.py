"""Shared by the disposal tests (engine and screens): the clock, the hook, binders and files.

The city is tests/workflow/conftest.py's. Import the fixtures into a test module to use them.
"""

from __future__ import annotations

import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import Permission

from documents import hooks
from documents import services as documents_services
from documents.models import Binder, Document
from tests.documents.conftest import make_pdf, media_root  # noqa: F401 - a fixture
from workflow.apps import register_documents_hooks
from workflow.disposal import services as disposal
from workflow.proposals import services
from workflow.proposals.models import Proposal, ProposalStep

TOKYO = ZoneInfo("Asia/Tokyo")
# Binders of 令和2年度 kept one year are due from 2022-04-01; 令和7年度 ones from 2027-04-01.
NOW = datetime(2026, 5, 1, 9, 0, tzinfo=TOKYO)


@pytest.fixture(autouse=True)
def disposal_hook():
    """Records' hooks are module state other tests reset: answer with the workflow's."""
    disposal.connect()
    yield
    hooks.reset()
    register_documents_hooks()


@pytest.fixture(autouse=True)
def at_now():
    with time_machine.travel(NOW, tick=True):
        yield


def make_binder(city, title: str, *, fy: int = 2020, unit: str = "財政課", **kw) -> Binder:
    owner = {"財政課": "zaisei_staff", "契約検査課": "keiyaku_staff"}[unit]
    return documents_services.binder_create(
        actor=city.p(owner).user,
        unit=city.u(unit),
        fiscal_year=fy,
        title=title,
        retention_years=kw.pop("years", 1),
        **kw,
    )


def file_pdf(city, binder: Binder, text: str) -> Document:
    data = make_pdf([text])
    return documents_services.document_upload(
        actor=city.p("zaisei_staff").user,
        content=io.BytesIO(data),
        name=f"{text}.pdf",
        size_bytes=len(data),
        title=text,
        binder=binder,
    )


def hold(city, binder: Binder, reason: str = "情報公開訴訟") -> None:
    user = city.p("somu_kacho").user
    user.user_permissions.add(Permission.objects.get(codename="set_legal_hold"))
    user = type(user).objects.get(pk=user.pk)
    documents_services.binder_set_legal_hold(actor=user, binder=binder, is_held=True, reason=reason)


def pending_steps(proposal: Proposal) -> list[ProposalStep]:
    proposal.refresh_from_db()
    return list(
        ProposalStep.objects.filter(
            proposal=proposal, round=proposal.round, state=ProposalStep.State.PENDING
        ).select_related("approver__user")
    )


def approve_all(proposal: Proposal, *, until_decide: bool = True) -> None:
    """Each pending step approved by its approver, through the engine's services."""
    while steps := pending_steps(proposal):
        for step in steps:
            if step.kind == ProposalStep.Kind.DECIDE and not until_decide:
                return
            services.task_approve(actor=step.approver.user, step=step)
