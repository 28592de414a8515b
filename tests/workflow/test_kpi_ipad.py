"""The KPI dashboard on an iPad in portrait (834×1194): charts drawn, nothing overflows."""

from __future__ import annotations

import pytest

from tests.factories import TEST_PASSWORD
from tests.workflow.test_kpi import _member, fixture  # noqa: F401  (the hand-computed fixture)

SCREENSHOT = "/tmp/kairan-kpi-ipad.png"


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_the_dashboard_draws_its_charts_on_an_ipad(live_server, browser_page, fixture):  # noqa: F811
    member = _member(fixture, "deputy")
    member.set_password(TEST_PASSWORD)
    member.save()
    page = browser_page
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("ユーザー名").fill("deputy")
    page.get_by_label("パスワード").fill(TEST_PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    page.wait_for_url(f"{live_server.url}/")

    page.get_by_test_id("nav-kpi").click()
    page.wait_for_url(f"{live_server.url}/approval/kpi/")
    page.goto(f"{live_server.url}/approval/kpi/?fy=2026")
    page.wait_for_function("window.Chart && Chart.getChart('kpi-chart-months')")
    drawn = page.evaluate(
        "[...document.querySelectorAll('canvas[data-kpi-chart]')]"
        ".filter(c => Chart.getChart(c)).length"
    )
    assert drawn == 7
    assert page.evaluate("document.documentElement.scrollWidth") <= 834
    page.screenshot(path=SCREENSHOT, full_page=True)
