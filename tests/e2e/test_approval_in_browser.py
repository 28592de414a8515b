"""The approval screens in a browser on an iPad in portrait (834×1194), in Japanese.

A 主事 drafts an expenditure and watches the live route preview gain the 部長 when the amount
reaches 1,000,000 yen, then submits it; the 係長 signs in, opens it from the inbox and approves.
"""

from __future__ import annotations

import importlib
import re

import pytest
from django.apps import apps as django_apps
from playwright.sync_api import Page, expect

from tests.factories import TEST_PASSWORD
from workflow.models import Proposal, ProposalStep

SCREENSHOT = "/tmp/kairan-approval.png"
SCREENSHOT_FORM = "/tmp/kairan-approval-form.png"
SCREENSHOT_INBOX = "/tmp/kairan-approval-inbox.png"
SCREENSHOT_DESKTOP = "/tmp/kairan-approval-desktop.png"
IPAD_WIDTH = 834

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _default_rules(transactional_db):
    """Flushes between transactional tests drop the rules of migration 0002: load them again."""
    migration = importlib.import_module("workflow.migrations.0002_default_authority_rules")
    migration.load_defaults(django_apps, None)


def sign_in(page: Page, base: str, username: str, next_path: str) -> None:
    page.goto(f"{base}/accounts/login/?next={next_path}")
    page.get_by_label("ユーザー名").fill(username)
    page.get_by_label("パスワード").fill(TEST_PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    page.wait_for_url(f"{base}{next_path}")


def confirm(page: Page, says: str) -> None:
    """The confirmation dialog names what will happen; OK sends the form."""
    dialog = page.locator("#confirm-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text(says)
    dialog.locator("[data-confirm-ok]").click()


def assert_no_horizontal_overflow(page: Page, width: int = IPAD_WIDTH) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_drafter_sees_the_route_grow_submits_and_the_kakaricho_approves(
    live_server, browser_page, shimin
):
    page, base = browser_page, live_server.url

    # The 主事 drafts an expenditure; the preview follows the amount.
    sign_in(page, base, "madoguchi.staff", "/approval/proposals/new/")
    page.get_by_label("件名").fill("窓口番号発券機の更新")
    page.get_by_label("種別").select_option("expenditure")
    preview = page.get_by_test_id("route-preview")
    page.get_by_label("金額（円）").fill("百万")  # the endpoint's 400 is shown in place
    expect(preview.get_by_role("alert")).to_contain_text("整数")
    page.get_by_label("金額（円）").fill("999,999")
    expect(preview).to_contain_text("交野 さくら")
    expect(preview.locator('[data-kind="decide"]')).to_contain_text("課長")
    assert "部長" not in preview.inner_text()

    page.get_by_label("金額（円）").fill("1,000,000")
    decide = preview.locator('[data-kind="decide"]')
    expect(decide).to_contain_text("部長")
    expect(decide).to_contain_text("市民 太郎")
    expect(decide).to_contain_text("1,000,000")  # the reason names the rule's threshold
    expect(preview.locator("[data-kind]")).to_have_count(3)
    page.locator("#id_body").fill("老朽化した発券機を更新する。")
    assert_no_horizontal_overflow(page)
    page.screenshot(path=SCREENSHOT_FORM, full_page=True)

    page.get_by_role("button", name="下書き保存").click()
    page.wait_for_url(re.compile(r".*/approval/proposals/\d+/$"))
    proposal = Proposal.objects.get(title="窓口番号発券機の更新")
    page.get_by_role("button", name="回議に付す").click()
    confirm(page, "最初の承認者へ送ります")
    expect(page.get_by_test_id("proposal-status")).to_have_text("回議中")
    page.get_by_role("button", name="ログアウト").click()

    # The 係長 finds it in the inbox and approves it.
    sign_in(page, base, "madoguchi.kakaricho", "/approval/")
    expect(page.get_by_test_id("count-tasks")).to_have_text("1")
    assert_no_horizontal_overflow(page)
    page.screenshot(path=SCREENSHOT_INBOX, full_page=True)
    page.get_by_test_id("tasks").get_by_role("link", name="窓口番号発券機の更新").click()
    page.wait_for_url(f"{base}/approval/proposals/{proposal.pk}/")
    page.get_by_label("意見").fill("確認しました。")
    page.get_by_role("button", name="承認", exact=True).click()
    confirm(page, "次の決裁者へ回付され、取り消せません")

    expect(page.get_by_role("status")).to_contain_text("起案を承認しました")
    seals = page.get_by_test_id("seal")
    expect(seals.nth(0)).to_have_attribute("data-state", "approved")
    expect(seals.nth(1)).to_have_attribute("data-state", "pending")
    expect(page.get_by_test_id("actions")).to_have_count(0)  # nothing left for the 係長
    step = ProposalStep.objects.get(proposal=proposal, round=1, order=1)
    assert (step.state, step.comment) == ("approved", "確認しました。")
    assert_no_horizontal_overflow(page)
    page.screenshot(path=SCREENSHOT, full_page=True)

    # The same page on a desktop screen.
    page.set_viewport_size({"width": 1366, "height": 900})
    assert_no_horizontal_overflow(page, 1366)
    page.screenshot(path=SCREENSHOT_DESKTOP, full_page=True)
