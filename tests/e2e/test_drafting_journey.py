"""The drafting journey on an iPad (834×1194), in Japanese: a 主事 drafts with two attachments
(dropped on the panel, uploaded with progress), submits; the 係長 sends it back with a comment
(after confirming); the 主事 resubmits; the 課長 decides — every irreversible button asks first,
and "キャンセル" leaves everything as it was; a double tap posts once.
"""

from __future__ import annotations

import re

import docx
import pytest
from playwright.sync_api import Page, expect

from tests.documents.conftest import make_pdf
from tests.e2e.test_approval_in_browser import (  # noqa: F401  (fixtures)
    _default_rules,
    assert_no_horizontal_overflow,
    confirm,
    sign_in,
)
from workflow.models import Decision, Proposal, ProposalAttachment, RoundAttachment

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("media_root"),
]

SCREENSHOT = "/tmp/kairan-drafting-journey.png"


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def cancel(page: Page, says: str) -> None:
    dialog = page.locator("#confirm-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text(says)
    dialog.get_by_role("button", name="キャンセル").click()
    expect(dialog).to_be_hidden()


def test_draft_with_attachments_send_back_resubmit_and_decide(
    live_server, browser_page, shimin, tmp_path
):
    page, base = browser_page, live_server.url
    files = []
    for name, text in (("mitsumori.pdf", "Estimate"), ("zumen.pdf", "Drawing")):
        path = tmp_path / name
        path.write_bytes(make_pdf([text]))
        files.append(str(path))

    sign_in(page, base, "madoguchi.staff", "/approval/proposals/new/")
    expect(page.get_by_test_id("attachments-after-save")).to_be_visible()
    page.get_by_label("件名").fill("窓口カウンターの修繕")
    page.locator("#id_body").fill("窓口カウンターを修繕してよろしいか伺います。")
    page.get_by_role("button", name="下書き保存").click()
    page.wait_for_url(re.compile(r".*/approval/proposals/\d+/$"))
    proposal = Proposal.objects.get(title="窓口カウンターの修繕")

    # Two files at once through the drop zone's input; the page lists both afterwards.
    page.get_by_label("添付するファイル").set_input_files(files)
    page.get_by_role("button", name="添付する", exact=True).click()
    expect(page.get_by_test_id("attachment")).to_have_count(2)
    assert ProposalAttachment.objects.filter(proposal=proposal).count() == 2

    # Cancel in the dialog: nothing happens.
    page.get_by_role("button", name="回議に付す").click()
    cancel(page, "最初の承認者へ送ります")
    proposal.refresh_from_db()
    assert proposal.status == "draft"
    page.get_by_role("button", name="回議に付す").click()
    confirm(page, "最初の承認者へ送ります")
    expect(page.get_by_test_id("proposal-status")).to_have_text("回議中")
    expect(page.get_by_test_id("attachment").first).to_contain_text("回議時の版")
    page.get_by_role("button", name="ログアウト").click()

    # The 係長 sends it back with a comment, after confirming.
    sign_in(page, base, "madoguchi.kakaricho", f"/approval/proposals/{proposal.pk}/")
    page.get_by_label("意見").fill("図面の縮尺を明記してください。")
    page.get_by_role("button", name="差戻し").click()
    cancel(page, "起案者へ差し戻します")
    assert not Decision.objects.filter(proposal=proposal, action="sent_back").exists()
    page.get_by_role("button", name="差戻し").click()
    confirm(page, "起案者へ差し戻します")
    expect(page.get_by_test_id("proposal-status")).to_have_text("差戻し")
    page.get_by_role("button", name="ログアウト").click()

    # The 主事 revises the title as asked and resubmits (a new round freezes the attachments
    # again).
    sign_in(page, base, "madoguchi.staff", f"/approval/proposals/{proposal.pk}/edit/")
    page.get_by_label("件名").fill("窓口カウンターの修繕（縮尺明記）")
    page.get_by_role("button", name="下書き保存").click()
    page.wait_for_url(re.compile(rf".*/approval/proposals/{proposal.pk}/$"))
    page.get_by_role("button", name="再提出").click()
    confirm(page, "最初の承認者へ送ります")
    expect(page.get_by_test_id("proposal-status")).to_have_text("回議中")
    assert RoundAttachment.objects.filter(proposal=proposal, round=2).count() == 2
    page.get_by_role("button", name="ログアウト").click()

    # The 係長 sees what changed since the round they sent back.
    sign_in(page, base, "madoguchi.kakaricho", f"/approval/proposals/{proposal.pk}/")
    changes = page.get_by_test_id("round-changes")
    expect(changes).to_be_visible()
    expect(changes.locator('[data-field="title"]')).to_contain_text("（縮尺明記）")
    page.get_by_role("button", name="承認", exact=True).click()
    confirm(page, "次の決裁者へ回付され")
    page.get_by_role("button", name="ログアウト").click()

    # The 課長 decides: the dialog says a number is given and it cannot be undone.
    sign_in(page, base, "shimin.kacho", f"/approval/proposals/{proposal.pk}/")
    page.get_by_role("button", name="決裁", exact=True).click()
    dialog = page.locator("#confirm-dialog")
    expect(dialog).to_contain_text("文書番号が付与され、取り消せません")
    # A double tap on OK posts once.
    dialog.locator("[data-confirm-ok]").dblclick()
    expect(page.get_by_test_id("document-number")).to_be_visible()
    number = page.get_by_test_id("document-number").inner_text()
    expect(page.get_by_role("status")).to_contain_text(f"決裁しました。文書番号は{number}です。")
    assert Decision.objects.filter(proposal=proposal, action="decided").count() == 1
    assert_no_horizontal_overflow(page)
    page.screenshot(path=SCREENSHOT, full_page=True)
    page.get_by_role("button", name="ログアウト").click()

    # The 主事 issues the letter (施行文書) to the 自治会: the number, not the 伺い文.
    sign_in(page, base, "madoguchi.staff", f"/approval/proposals/{proposal.pk}/")
    page.get_by_text("施行文書（DOCX）").click()
    page.get_by_label("宛先").fill("星田地区自治会長 様")
    with page.expect_download() as download:
        page.get_by_role("button", name="施行文書をダウンロード").click()
    letter = docx.Document(download.value.path())
    text = "\n".join(paragraph.text for paragraph in letter.paragraphs)
    assert number in text
    assert "星田地区自治会長 様" in text
    assert "伺います" not in text


def test_every_irreversible_button_asks_first(live_server, browser_page, shimin):
    page, base = browser_page, live_server.url
    sign_in(page, base, "madoguchi.staff", "/approval/proposals/new/")
    page.get_by_label("件名").fill("確認の要る操作")
    page.get_by_role("button", name="下書き保存").click()
    page.wait_for_url(re.compile(r".*/approval/proposals/\d+/$"))

    for name in ("回議に付す", "取下げ"):
        button = page.get_by_role("button", name=name)
        assert button.get_attribute("data-confirm"), name
    page.get_by_role("button", name="回議に付す").click()
    confirm(page, "最初の承認者へ送ります")
    expect(page.get_by_role("button", name="引戻し")).to_have_attribute(
        "data-confirm", re.compile("下書きに戻ります")
    )
    page.get_by_role("button", name="ログアウト").click()

    sign_in(page, base, "madoguchi.kakaricho", "/approval/")
    page.get_by_test_id("tasks").get_by_role("link", name="確認の要る操作").click()
    for name in ("承認", "差戻し"):
        button = page.get_by_role("button", name=name, exact=True)
        assert button.get_attribute("data-confirm"), name
