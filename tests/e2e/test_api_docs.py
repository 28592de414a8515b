"""Swagger UI at /api/docs/ in a browser: it renders the schema with nothing from outside."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.factories import TEST_PASSWORD, OrgUnitFactory, make_person

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_swagger_ui_renders_the_operations_offline(live_server, browser_page):
    make_person("somu.staff", "総務 次郎", OrgUnitFactory(name="総務課"), "主任")
    page = browser_page
    hosts: set[str] = set()
    page.on("request", lambda request: hosts.add(urlsplit(request.url).hostname or ""))

    page.goto(f"{live_server.url}/accounts/login/?next=/api/docs/")
    page.get_by_label("ユーザー名").fill("somu.staff")
    page.get_by_label("パスワード").fill(TEST_PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    page.wait_for_url(f"{live_server.url}/api/docs/")

    expect(page.get_by_text("/api/v1/proposals/{proposal_id}/submit/").first).to_be_visible()
    expect(page.get_by_text("Kairan API").first).to_be_visible()
    assert hosts <= {urlsplit(live_server.url).hostname}, hosts
