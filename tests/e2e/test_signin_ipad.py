"""Sign-in on an iPad in portrait (834×1194), in Japanese, against a live server."""

from __future__ import annotations

import pytest

from directory.models import OrgUnit
from tests.factories import TEST_PASSWORD, OrgUnitFactory, make_person

SCREENSHOT = "/tmp/kairan-ipad.png"


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_staff_signs_in_on_an_ipad_and_sees_name_and_unit(live_server, browser_page):
    somu = OrgUnitFactory(name="総務部", level=OrgUnit.Level.DEPARTMENT)
    kikaku = OrgUnitFactory(name="企画政策課", level=OrgUnit.Level.DIVISION, parent=somu)
    make_person("kikaku.kacho", "交野 さくら", kikaku, "課長")
    page = browser_page

    page.goto(f"{live_server.url}/accounts/login/")
    assert page.locator("html").get_attribute("lang") == "ja"
    page.get_by_label("ユーザー名").fill("kikaku.kacho")
    page.get_by_label("パスワード").fill(TEST_PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    page.wait_for_url(f"{live_server.url}/")

    header = page.locator("header")
    assert header.get_by_test_id("person-name").inner_text() == "交野 さくら"
    assert header.get_by_test_id("person-unit").inner_text() == "企画政策課"
    assert header.get_by_test_id("person-position").inner_text() == "課長"
    nav = page.get_by_role("navigation", name="メインメニュー")
    assert nav.get_by_role("link", name="決裁").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 834
    page.screenshot(path=SCREENSHOT, full_page=True)


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_keyboard_user_skips_to_the_main_content(live_server, browser_page):
    make_person("somu.staff", "総務 次郎", OrgUnitFactory(name="総務課"), "主事")
    page = browser_page
    page.goto(f"{live_server.url}/accounts/login/")
    # Keyboard only: the username field has focus on arrival.
    page.keyboard.type("somu.staff")
    page.keyboard.press("Tab")
    page.keyboard.type(TEST_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/")

    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent").strip() == "本文へ移動"
    assert page.locator(".skip-link").bounding_box()["y"] >= 0  # shown while focused
    page.keyboard.press("Enter")

    assert page.evaluate("document.activeElement.id") == "main"
