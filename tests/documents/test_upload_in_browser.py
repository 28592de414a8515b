"""Records in a browser on an iPad in portrait, in Japanese: a 主事 opens a binder, uploads a
PDF with the progress bar (XHR to the API), lands on the document page with the version and
the extraction status, and a wrong-type file is refused on the page with nothing stored."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from directory.models import OrgUnit
from documents.models import Document
from tests.documents.conftest import make_pdf
from tests.factories import TEST_PASSWORD, OrgUnitFactory, make_person

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
IPAD_WIDTH = 834


@pytest.fixture
def staff(transactional_db):
    L = OrgUnit.Level
    bu = OrgUnitFactory(name="総務部", level=L.DEPARTMENT)
    ka = OrgUnitFactory(name="財政課", level=L.DIVISION, parent=bu)
    kakari = OrgUnitFactory(name="財政係", level=L.SECTION, parent=ka)
    return make_person("zaisei.staff", "財政 花子", kakari, "主事")


def sign_in(page: Page, base: str, next_path: str) -> None:
    page.goto(f"{base}/accounts/login/?next={next_path}")
    page.get_by_label("ユーザー名").fill("zaisei.staff")
    page.get_by_label("パスワード").fill(TEST_PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    page.wait_for_url(f"{base}{next_path}")


def test_open_a_binder_and_upload_with_progress(browser_page: Page, live_server, staff, tmp_path):
    page, base = browser_page, live_server.url
    Path("/tmp/kairan-records").mkdir(exist_ok=True)
    sign_in(page, base, "/records/")

    page.get_by_label("件名").fill("予算編成資料")
    page.get_by_label("保存年限").select_option("5")
    page.get_by_role("button", name="簿冊を作成").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("予算編成資料")
    page.get_by_role("link", name="この簿冊に文書を登録").click()

    pdf = tmp_path / "予算書.pdf"
    pdf.write_bytes(make_pdf(["Budget FY2026"]))
    page.get_by_label("件名").fill("令和8年度 予算書")
    page.get_by_label("ファイル", exact=True).set_input_files(str(pdf))
    page.get_by_role("button", name="登録", exact=True).click()

    page.wait_for_url(re.compile(r".*/records/documents/\d+/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("令和8年度 予算書")
    expect(page.get_by_test_id("versions")).to_contain_text("予算書.pdf")
    expect(page.get_by_test_id("extraction-status")).to_have_text("完了")
    preview = page.get_by_test_id("preview-image")
    expect(preview).to_be_visible()
    # Polled through the DevTools protocol: the page's CSP forbids the eval of wait_for_function.
    for _ in range(100):
        if page.evaluate("document.querySelector('[data-testid=preview-image]').naturalWidth > 0"):
            break
        page.wait_for_timeout(100)
    else:
        raise AssertionError("the preview image did not load")
    assert page.evaluate("document.documentElement.scrollWidth") <= IPAD_WIDTH
    page.screenshot(path="/tmp/kairan-records/document.png", full_page=True)
    document = Document.objects.get()
    assert document.binder.title == "予算編成資料"

    page.goto(f"{base}/records/")
    expect(page.get_by_test_id("binder-tree")).to_contain_text("令和8年度")
    page.screenshot(path="/tmp/kairan-records/tree.png", full_page=True)


def test_a_wrong_type_is_refused_on_the_page(browser_page: Page, live_server, staff, tmp_path):
    page, base = browser_page, live_server.url
    Path("/tmp/kairan-records").mkdir(exist_ok=True)
    sign_in(page, base, "/records/upload/")
    fake = tmp_path / "report.pdf"
    fake.write_bytes("PDFではない".encode())

    page.get_by_label("件名").fill("偽PDF")
    page.get_by_label("ファイル", exact=True).set_input_files(str(fake))
    page.get_by_role("button", name="登録", exact=True).click()

    expect(page.locator("#upload-status")).to_contain_text("拡張子")
    page.screenshot(path="/tmp/kairan-records/upload-error.png", full_page=True)
    assert Document.objects.count() == 0
