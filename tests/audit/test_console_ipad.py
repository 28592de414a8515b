"""The audit log on an iPad in portrait (834×1194): no sideways overflow, visible buttons."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission

from audit.services import record
from directory.models import OrgUnit
from tests.factories import TEST_PASSWORD, OrgUnitFactory, make_person

SCREENSHOT = "/tmp/kairan-audit-ipad.png"


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_the_audit_log_fits_an_ipad(live_server, browser_page):
    unit = OrgUnitFactory(name="総務課", level=OrgUnit.Level.DIVISION)
    auditor = make_person("kobayashi.akiko", "小林 明子", unit, "係長")
    auditor.user.user_permissions.add(
        Permission.objects.get_by_natural_key("view_auditevent", "audit", "auditevent")
    )
    drafter = make_person("murakami.yuki", "村上 由紀", unit, "主事")
    for n in range(8):
        record(
            action="workflow.task_decided",
            actor=drafter.user,
            target_type="workflow.proposal",
            target_id=n,
            details={"round": 1, "document_number": f"交総第{n}号", "sha256": "ab" * 32},
            client_address="2001:db8:ffff:ffff:ffff:ffff:ffff:ffff",
        )
    page = browser_page
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("ユーザー名").fill("kobayashi.akiko")
    page.get_by_label("パスワード").fill(TEST_PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    page.wait_for_url(f"{live_server.url}/")

    page.goto(f"{live_server.url}/audit/?person=むらかみ")
    assert page.get_by_role("heading", name="監査ログ", exact=True).is_visible()
    assert page.get_by_text("決裁").first.is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 834
    for name in ("CSVで出力", "クリア"):
        link = page.get_by_role("link", name=name, exact=True)
        colour = link.evaluate("e => getComputedStyle(e).color")
        background = link.evaluate("e => getComputedStyle(e).backgroundColor")
        assert colour != background
        assert colour != "rgb(255, 255, 255)"
    page.screenshot(path=SCREENSHOT, full_page=True)
