"""The attachments panel on the proposal's pages: attach, replace and remove without JavaScript
(post, then back to the page), refusals as messages, frozen while in review."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.documents.conftest import make_pdf
from tests.workflow.test_screens import BASE, DRAFTER, KAKARI, OUTSIDER, draft
from workflow.models import ProposalAttachment
from workflow.proposals import services

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]


def _pdf(text: str = "見積書") -> SimpleUploadedFile:
    return SimpleUploadedFile("見積書.pdf", make_pdf([text]))


def test_the_drafter_attaches_from_the_edit_page_and_returns_to_it(web_as, city):
    proposal = draft(city)
    edit = f"{BASE}proposals/{proposal.pk}/edit/"
    drafter = web_as(DRAFTER)
    page = drafter.get(edit)
    assert 'data-testid="attachment-upload"' in page.content.decode()

    response = drafter.post(
        f"{BASE}proposals/{proposal.pk}/attachments/", {"file": _pdf(), "next": edit}
    )

    assert response.status_code == 302
    assert response["Location"] == edit
    followed = drafter.get(edit).content.decode()
    assert "ファイルを添付しました。" in followed
    assert 'data-testid="attachment"' in followed
    assert ProposalAttachment.objects.filter(proposal=proposal).count() == 1


def test_the_new_proposal_page_says_when_files_can_be_attached(web_as):
    page = web_as(DRAFTER).get(f"{BASE}proposals/new/").content.decode()
    assert 'data-testid="attachments-after-save"' in page


def test_a_foreign_next_address_is_not_followed(web_as, city):
    proposal = draft(city)
    response = web_as(DRAFTER).post(
        f"{BASE}proposals/{proposal.pk}/attachments/",
        {"file": _pdf(), "next": "https://evil.example/phish"},
    )
    assert response["Location"] == f"{BASE}proposals/{proposal.pk}/"


def test_a_refusal_is_a_message_and_nothing_is_attached(web_as, city):
    proposal = draft(city)
    fake = SimpleUploadedFile("a.pdf", b"not a pdf")

    response = web_as(DRAFTER).post(
        f"{BASE}proposals/{proposal.pk}/attachments/", {"file": fake}, follow=True
    )

    assert response.status_code == 200
    assert "PDF" in response.content.decode()  # the documents' upload check names the type
    assert not ProposalAttachment.objects.exists()


def test_outsiders_get_404_and_approvers_see_it_frozen(web_as, city):
    proposal = draft(city)
    web_as(DRAFTER).post(f"{BASE}proposals/{proposal.pk}/attachments/", {"file": _pdf()})
    assert (
        web_as(OUTSIDER)
        .post(f"{BASE}proposals/{proposal.pk}/attachments/", {"file": _pdf()})
        .status_code
        == 404
    )
    services.proposal_submit(actor=city.p(DRAFTER).user, proposal=proposal)

    page = web_as(KAKARI).get(f"{BASE}proposals/{proposal.pk}/").content.decode()

    assert 'data-testid="attachment"' in page
    assert "回議時の版" in page
    assert 'data-testid="attachment-upload"' not in page
    refused = web_as(DRAFTER).post(
        f"{BASE}proposals/{proposal.pk}/attachments/", {"file": _pdf()}, follow=True
    )
    assert "回議中と決裁後は添付資料を変更できません" in refused.content.decode()
    assert ProposalAttachment.objects.filter(proposal=proposal).count() == 1


def test_replace_and_remove(web_as, city):
    proposal = draft(city)
    web_as(DRAFTER).post(f"{BASE}proposals/{proposal.pk}/attachments/", {"file": _pdf("v1")})
    attachment = ProposalAttachment.objects.get()

    web_as(DRAFTER).post(
        f"{BASE}proposals/{proposal.pk}/attachments/{attachment.pk}/replace/",
        {"file": _pdf("v2")},
    )
    attachment.document.refresh_from_db()
    assert attachment.document.current_version.number == 2

    web_as(DRAFTER).post(f"{BASE}proposals/{proposal.pk}/attachments/{attachment.pk}/remove/")
    assert not ProposalAttachment.objects.exists()
