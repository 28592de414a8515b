"""起案 templates (pre-filled form, required attachments at submission) and the 施行文書 from
the city's own Word template (docxtpl): number, 和暦 date, addressee and the letter's own body,
never the internal 伺い文."""

from __future__ import annotations

import io
from datetime import datetime
from zoneinfo import ZoneInfo

import docx
import pytest
import time_machine
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.documents.conftest import make_pdf
from workflow.admin import LetterTemplateForm
from workflow.models import Category, LetterTemplate, Proposal, ProposalStep, ProposalTemplate
from workflow.proposals import services

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]

DRAFTER, KAKARI, KACHO = "madoguchi_staff", "madoguchi_kakaricho", "shimin_kacho"
INQUIRY = "このことについて、次のとおり実施してよろしいか伺います。"
TOKYO = ZoneInfo("Asia/Tokyo")


@pytest.fixture
def road_template(db):
    return ProposalTemplate.objects.create(
        category=Category.objects.get(code="expenditure"),
        name="道路補修工事の実施",
        title_pattern="市道〇〇号線補修工事の実施について",
        inquiry=INQUIRY,
        body_skeleton="1 工事場所\n2 工事期間\n3 予定金額",
        required_attachments="見積書\n位置図",
        letter_body="工事の実施についてお知らせします。\nご協力をお願いします。",
    )


def u(city, username):
    return city.p(username).user


def test_a_template_pre_fills_the_new_proposal(web_as, road_template):
    page = web_as(DRAFTER).get(f"/approval/proposals/new/?template={road_template.pk}")

    html = page.content.decode()
    assert 'data-testid="drafting-templates"' in html
    assert 'value="市道〇〇号線補修工事の実施について"' in html
    assert INQUIRY in html
    assert "1 工事場所" in html
    assert "工事の実施についてお知らせします。" in html
    assert '<option value="expenditure" selected>' in html
    # A template that does not exist or is inactive pre-fills nothing.
    road_template.is_active = False
    road_template.save()
    plain = web_as(DRAFTER).get(f"/approval/proposals/new/?template={road_template.pk}")
    assert INQUIRY not in plain.content.decode()


def test_required_attachments_are_checked_at_submission(city, web_as, road_template):
    drafter = web_as(DRAFTER)
    form = {
        "title": "市道3号線補修工事の実施について",
        "category": "expenditure",
        "amount": "800000",
        "body": INQUIRY,
        "letter_body": "お知らせします。",
        "template": road_template.pk,
    }
    created = drafter.post("/approval/proposals/new/", form)
    assert created.status_code == 302
    proposal = Proposal.objects.get()
    assert proposal.template == road_template

    refused = drafter.post(f"/approval/proposals/{proposal.pk}/submit/")
    assert refused.status_code == 400
    assert "見積書、位置図" in refused.content.decode()
    proposal.refresh_from_db()
    assert proposal.status == "draft"

    for title in ("見積書（交野建設）", "位置図"):
        data = make_pdf([title])
        services.proposal_attachment_upload(
            actor=u(city, DRAFTER),
            proposal=proposal,
            content=io.BytesIO(data),
            name="a.pdf",
            size_bytes=len(data),
            title=title,
        )
    services.proposal_submit(actor=u(city, DRAFTER), proposal=proposal)
    proposal.refresh_from_db()
    assert proposal.status == "in_review"


def _decided(city, **fields) -> Proposal:
    proposal = services.proposal_create(
        actor=u(city, DRAFTER),
        title="自治会へのお知らせ",
        body=INQUIRY,
        category="general",
        letter_body="来月から窓口の受付時間を変更します。",
        **fields,
    )
    services.proposal_submit(actor=u(city, DRAFTER), proposal=proposal)
    for username in (KAKARI, KACHO):
        step = ProposalStep.objects.get(proposal=proposal, state="pending")
        services.task_approve(actor=u(city, username), step=step)
    proposal.refresh_from_db()
    return proposal


def _docx_text(data: bytes) -> str:
    document = docx.Document(io.BytesIO(data))
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def _city_template() -> bytes:
    document = docx.Document()
    document.add_paragraph("様式第1号（交野市）")
    document.add_paragraph("{{ number }}")
    document.add_paragraph("{{ date }}")
    document.add_paragraph("{{ addressee }}")
    document.add_paragraph("{{ sender }}{{ seal }}")
    document.add_paragraph("件名: {{ subject }}")
    document.add_paragraph("{{ body }}")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_the_letter_comes_from_the_uploaded_template_without_the_inquiry(city, as_):
    with time_machine.travel(datetime(2026, 12, 7, 10, 0, tzinfo=TOKYO), tick=False):
        proposal = _decided(city)
        LetterTemplate.objects.create(
            name="交野市 施行文書様式",
            file=ContentFile(_city_template(), name="yoshiki.docx"),
            is_active=True,
        )
        response = as_(DRAFTER).get(
            f"/api/v1/proposals/{proposal.pk}/issue-letter/?addressee=星田自治会"
        )

    assert response.status_code == 200
    text = _docx_text(response.content)
    assert "様式第1号（交野市）" in text  # the city's own layout
    assert proposal.document_number in text
    assert "令和8年12月7日" in text
    assert "星田自治会　様" in text
    assert "来月から窓口の受付時間を変更します。" in text
    assert "（公印省略）" in text
    assert INQUIRY not in text


def test_the_built_in_letter_uses_the_letter_body_too(city, as_):
    proposal = _decided(city)

    response = as_(DRAFTER).get(f"/api/v1/proposals/{proposal.pk}/issue-letter/?addressee=市民")

    text = _docx_text(response.content)
    assert "来月から窓口の受付時間を変更します。" in text
    assert INQUIRY not in text


@pytest.mark.parametrize(
    ("content", "ok"),
    [
        (_city_template(), True),
        (b"PK\x03\x04 not really a docx", False),
        (None, False),  # a .docx without any placeholder
    ],
)
def test_the_admin_refuses_a_file_that_is_not_a_usable_template(content, ok):
    if content is None:
        document = docx.Document()
        document.add_paragraph("ただの文書")
        buffer = io.BytesIO()
        document.save(buffer)
        content = buffer.getvalue()
    form = LetterTemplateForm(
        data={"name": "様式", "is_active": "on"},
        files={"file": SimpleUploadedFile("yoshiki.docx", content)},
    )
    assert form.is_valid() is ok
