"""A proposal's 処理期限 (due date, in the approvers' inbox) and its filing: the 起案 template
names the binder (簿冊) and its 保存年限, the form is pre-filled with them, and the decided
proposal is filed there — the binder of the drafting 課 for the fiscal year, created when
missing."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.utils import timezone
from pypdf import PdfReader

from audit.exceptions import ValidationFailed
from directory.calendar import fiscal_year as directory_fiscal_year
from documents.models import Binder, FiledProposal
from tests.workflow.test_drafting_templates import DRAFTER, KACHO, KAKARI, u
from workflow.models import Category, Proposal, ProposalStep, ProposalTemplate
from workflow.proposals import services

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]


@pytest.fixture
def contract_template(db):
    return ProposalTemplate.objects.create(
        category=Category.objects.get(code="contract"),
        name="清掃業務委託",
        title_pattern="庁舎清掃業務委託契約の締結について",
        binder_title="契約関係 起案綴",
        retention_years=10,
    )


def decide(city, proposal: Proposal) -> Proposal:
    services.proposal_submit(actor=u(city, DRAFTER), proposal=proposal)
    for username in (KAKARI, KACHO):
        step = ProposalStep.objects.get(proposal=proposal, state="pending")
        services.task_approve(actor=u(city, username), step=step)
    proposal.refresh_from_db()
    return proposal


def draft(city, **fields) -> Proposal:
    return services.proposal_create(
        actor=u(city, DRAFTER), title="窓口の案内表示の更新", category="general", **fields
    )


def test_the_template_pre_fills_binder_and_retention(web_as, contract_template):
    html = (
        web_as(DRAFTER)
        .get(f"/approval/proposals/new/?template={contract_template.pk}")
        .content.decode()
    )

    assert 'value="契約関係 起案綴"' in html
    assert '<option value="10" selected>' in html


def test_a_decided_proposal_is_filed_in_its_binder_created_once(
    city, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = decide(city, draft(city, binder_title="案内表示 起案綴", retention_years=5))
    with django_capture_on_commit_callbacks(execute=True):
        second = decide(city, draft(city, binder_title="案内表示 起案綴", retention_years=5))

    [binder] = Binder.objects.filter(title="案内表示 起案綴")
    assert binder.unit == first.drafting_unit
    assert binder.fiscal_year == first.fiscal_year
    assert binder.retention == 5
    filed = FiledProposal.objects.filter(binder=binder).order_by("id")
    assert [(f.proposal_id, f.document_number) for f in filed] == [
        (first.pk, first.document_number),
        (second.pk, second.document_number),
    ]


def test_without_a_binder_nothing_is_filed(city, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        decide(city, draft(city))

    assert not FiledProposal.objects.exists()
    assert not Binder.objects.exists()


def test_the_decision_document_names_the_binder_and_retention(city, as_):
    proposal = decide(city, draft(city, binder_title="案内表示 起案綴", retention_years=0))

    response = as_(DRAFTER).get(f"/api/v1/proposals/{proposal.pk}/pdf/")

    text = "".join(page.extract_text() for page in PdfReader(_bytes(response)).pages)
    assert "案内表示 起案綴（保存年限 永年）" in text.replace("\n", "")


def _bytes(response):

    return io.BytesIO(
        b"".join(response.streaming_content) if response.streaming else response.content
    )


@pytest.mark.parametrize(
    "fields",
    [
        {"due_on": timezone.localdate() - timedelta(days=1)},
        {"retention_years": 7},
        {"binder_title": "綴" * 201},
    ],
)
def test_bad_due_date_retention_or_binder_is_refused(city, fields):
    with pytest.raises(ValidationFailed):
        draft(city, **fields)
    assert not Proposal.objects.exists()


def test_the_api_takes_and_shows_due_date_binder_and_retention(city, as_):
    due = timezone.localdate() + timedelta(days=7)
    created = as_(DRAFTER).post(
        "/api/v1/proposals/",
        {
            "title": "案内表示",
            "category": "general",
            "due_on": due.isoformat(),
            "binder_title": "案内表示 起案綴",
            "retention_years": 3,
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    assert (
        created.data["due_on"],
        created.data["binder_title"],
        created.data["retention_years"],
    ) == (
        due.isoformat(),
        "案内表示 起案綴",
        3,
    )

    refused = as_(DRAFTER).patch(
        f"/api/v1/proposals/{created.data['id']}/", {"retention_years": 7}, format="json"
    )
    assert refused.status_code == 400
    assert Proposal.objects.get(pk=created.data["id"]).retention_years == 3


def test_the_approvers_inbox_shows_the_due_date_in_wareki(city, web_as):
    due = timezone.localdate() + timedelta(days=3)
    services.proposal_submit(actor=u(city, DRAFTER), proposal=draft(city, due_on=due))

    html = web_as(KAKARI).get("/approval/").content.decode()

    assert 'data-testid="due-on"' in html
    assert f"{due.month}月{due.day}日" in html
    assert due.isoformat() not in html


def test_a_closed_binder_leaves_the_decision_unfiled_and_intact(
    city, django_capture_on_commit_callbacks, caplog
):
    proposal = draft(city, binder_title="案内表示 起案綴", retention_years=5)
    unit = proposal.drafting_unit
    fiscal_year = directory_fiscal_year(timezone.now())
    Binder.objects.create(
        unit=unit,
        fiscal_year=fiscal_year,
        title="案内表示 起案綴",
        retention=5,
        status=Binder.Status.CLOSED,
        created_by=u(city, DRAFTER),
    )

    with django_capture_on_commit_callbacks(execute=True):
        decided = decide(city, proposal)

    assert decided.status == Proposal.Status.APPROVED
    assert decided.document_number
    assert not FiledProposal.objects.exists()
    assert Binder.objects.filter(title="案内表示 起案綴").count() == 1  # none created beside it
    assert "was not filed" in caplog.text
