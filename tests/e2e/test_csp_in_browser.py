"""The screens work under the Content-Security-Policy (issue 9, probe 6) in Debian's chromium:
no page reports a violation, the colleague picker (its behaviour moved from onclick to
static/js/kairan.js) fills the field, and htmx still swaps the route preview in."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps as django_apps
from playwright.sync_api import Page, expect

from tests.factories import TEST_PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
PAGES = ["/", "/approval/", "/approval/delegations/", "/records/", "/records/upload/", "/chat/"]


@pytest.fixture(autouse=True)
def _default_rules(transactional_db):
    """Flushes between transactional tests drop the rules of migration 0002: load them again."""
    migration = importlib.import_module("workflow.migrations.0002_default_authority_rules")
    migration.load_defaults(django_apps, None)


def _violations(page: Page) -> list[str]:
    found: list[str] = []
    page.on(
        "console",
        lambda message: (
            found.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return found


def test_screens_run_under_the_policy(live_server, browser_page, shimin):
    page, base = browser_page, live_server.url
    violations = _violations(page)
    page.goto(f"{base}/accounts/login/?next=/approval/proposals/new/")
    page.get_by_label("ユーザー名").fill("madoguchi.staff")
    page.get_by_label("パスワード").fill(TEST_PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    page.wait_for_url(f"{base}/approval/proposals/new/")
    assert (
        "script-src 'self'"
        in (page.context.request.get(page.url).headers)["content-security-policy"]
    )

    # htmx: the route preview is swapped in as the amount changes.
    page.get_by_label("件名").fill("窓口番号発券機の更新")
    page.get_by_label("種別").select_option("expenditure")
    page.get_by_label("金額（円）").fill("999,999")
    expect(page.get_by_test_id("route-preview")).to_contain_text("交野 さくら")

    # The picker (no onclick any more) appends the colleague's user name.
    page.get_by_test_id("reviewers").locator("summary").first.click()
    page.locator("details.picker summary").first.click()
    page.locator(".picker__option[data-username='madoguchi.kakaricho']").first.click()
    expect(page.locator("#id_extra_approvers")).to_have_value("madoguchi.kakaricho")

    for path in PAGES:
        page.goto(f"{base}{path}")
        page.wait_for_load_state("load")
    assert violations == []
