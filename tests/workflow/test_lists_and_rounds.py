"""The approver's and drafter's lists (処理済み, 起案一覧), the inbox columns, the comparison of
a resubmitted round with the previous one, and every round in the 決裁文書 PDF."""

from __future__ import annotations

import io

import pypdf
import pytest

from tests.documents.conftest import make_pdf
from tests.workflow.test_screens import BASE, DRAFTER, KACHO, KAKARI, OUTSIDER
from workflow.models import ProposalStep
from workflow.proposals import lists, services

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]

API = "/api/v1/"


def u(city, username):
    return city.p(username).user


def pending(proposal):
    return ProposalStep.objects.get(proposal=proposal, state="pending")


def sent_back_and_resubmitted(city):
    drafter = u(city, DRAFTER)
    proposal = services.proposal_create(
        actor=drafter,
        title="案内表示の更新",
        body="一行目\n二行目\n三行目",
        category="expenditure",
        amount=300_000,
    )
    first = services.proposal_attachment_upload(
        actor=drafter,
        proposal=proposal,
        content=io.BytesIO(make_pdf(["見積 v1"])),
        name="mitsumori.pdf",
        size_bytes=len(make_pdf(["見積 v1"])),
        title="見積書",
    )
    services.proposal_attachment_upload(
        actor=drafter,
        proposal=proposal,
        content=io.BytesIO(make_pdf(["旧図面"])),
        name="zumen.pdf",
        size_bytes=len(make_pdf(["旧図面"])),
        title="旧図面",
    )
    services.proposal_submit(actor=drafter, proposal=proposal)
    services.task_send_back(
        actor=u(city, KAKARI), step=pending(proposal), comment="金額の根拠を示してください"
    )
    proposal.refresh_from_db()
    services.proposal_update(
        actor=drafter,
        proposal=proposal,
        title="案内表示の更新（再）",
        body="一行目\n二行目（修正）\n三行目",
        amount=320_000,
    )
    v2 = make_pdf(["見積 v2"])
    services.proposal_attachment_replace(
        actor=drafter,
        proposal=proposal,
        attachment_id=first.pk,
        content=io.BytesIO(v2),
        name="mitsumori2.pdf",
        size_bytes=len(v2),
    )
    old = proposal.attachments.get(document__title="旧図面")
    services.proposal_attachment_remove(actor=drafter, proposal=proposal, attachment_id=old.pk)
    spec = make_pdf(["仕様書"])
    services.proposal_attachment_upload(
        actor=drafter,
        proposal=proposal,
        content=io.BytesIO(spec),
        name="shiyo.pdf",
        size_bytes=len(spec),
        title="仕様書",
    )
    services.proposal_submit(actor=drafter, proposal=proposal)
    proposal.refresh_from_db()
    return proposal


def test_round_changes_name_every_difference(city):
    proposal = sent_back_and_resubmitted(city)

    changes = lists.round_changes(proposal)

    assert (changes.before, changes.after) == (1, 2)
    assert changes.fields == [
        ("title", "案内表示の更新", "案内表示の更新（再）"),
        ("amount", 300_000, 320_000),
    ]
    assert changes.body_diff == [("-", "二行目"), ("+", "二行目（修正）")]
    assert sorted(changes.attachments) == [
        ("added", "仕様書", "1"),
        ("removed", "旧図面", "1"),
        ("replaced", "見積書", "1→2"),
    ]


def test_the_detail_page_shows_the_changes_to_the_approver(city, web_as):
    proposal = sent_back_and_resubmitted(city)

    page = web_as(KAKARI).get(f"{BASE}proposals/{proposal.pk}/").content.decode()

    assert 'data-testid="round-changes"' in page
    assert "第1回からの変更" in page
    assert "二行目（修正）" in page
    assert 'data-change="replaced"' in page
    assert 'data-field="amount"' in page


def test_a_first_round_has_no_comparison(city, web_as):
    proposal = services.proposal_submit(
        actor=u(city, DRAFTER),
        proposal=services.proposal_create(actor=u(city, DRAFTER), title="初回", category="general"),
    )
    assert lists.round_changes(proposal) is None
    page = web_as(KAKARI).get(f"{BASE}proposals/{proposal.pk}/").content.decode()
    assert 'data-testid="round-changes"' not in page


def test_the_pdf_keeps_every_round(city, as_):
    proposal = sent_back_and_resubmitted(city)

    response = as_(DRAFTER).get(f"{API}proposals/{proposal.pk}/pdf/")

    reader = pypdf.PdfReader(io.BytesIO(response.content))
    text = "".join("".join(page.extract_text().split()) for page in reader.pages)
    assert "回議の経過（全回次）" in text
    assert "第1回" in text
    assert "第2回" in text
    assert "金額の根拠を示してください" in text  # the send-back's comment stays on record


def test_handled_by_me_lists_my_decisions(city, web_as):
    proposal = services.proposal_submit(
        actor=u(city, DRAFTER),
        proposal=services.proposal_create(
            actor=u(city, DRAFTER), title="処理済みの確認", category="general"
        ),
    )
    services.task_approve(actor=u(city, KAKARI), step=pending(proposal), comment="了")

    page = web_as(KAKARI).get(f"{BASE}handled/").content.decode()

    assert "処理済みの確認" in page
    assert page.count('data-testid="handled-row"') == 1
    assert "承認済" in page or "承認" in page
    other = web_as(KACHO).get(f"{BASE}handled/").content.decode()
    assert 'data-testid="handled-row"' not in other  # the 課長 has not acted yet


def test_proposal_lists_mine_and_my_division_follow_visibility(city, web_as):
    services.proposal_create(actor=u(city, DRAFTER), title="窓口の起案", category="general")

    mine = web_as(DRAFTER).get(f"{BASE}proposals/").content.decode()
    assert "窓口の起案" in mine
    # A draft is visible to its drafter only: not in a colleague's division list.
    division = web_as(KACHO).get(f"{BASE}proposals/?scope=division").content.decode()
    assert "窓口の起案" not in division
    assert "窓口の起案" not in web_as(OUTSIDER).get(f"{BASE}proposals/").content.decode()


def test_inbox_rows_show_drafter_category_and_amount(city, web_as):
    proposal = services.proposal_create(
        actor=u(city, DRAFTER), title="受信箱の列", category="expenditure", amount=250_000
    )
    services.proposal_submit(actor=u(city, DRAFTER), proposal=proposal)

    page = web_as(KAKARI).get(f"{BASE}").content.decode()

    assert city.p(DRAFTER).display_name in page
    assert "250,000円" in page
    assert "支出" in page
