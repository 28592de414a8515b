"""A councilor on an iPad: signs in with TOTP, opens a published material, turns pages, draws a
stroke that survives a reload, then writes a note offline that is stored once back online."""

from __future__ import annotations

import time

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from council.models import Annotation
from tests.council.conftest import create_meeting, upload_material, user_of
from tests.factories import TEST_PASSWORD

SCREENSHOT = "/tmp/kairan-council-reader.png"


def wait_for(predicate, timeout: float = 15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("condition not met in time")


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_councilor_reads_draws_and_annotates_offline_on_an_ipad(live_server, browser_page, council):
    meeting_id = create_meeting(council, title="第4回定例会 本会議")
    material_id = upload_material(
        council, meeting_id, title="議案第12号 補正予算", pages=["一ページ目", "二ページ目", "三"]
    ).json()["id"]
    user = user_of(council.a)
    device = TOTPDevice.objects.create(user=user, name="tablet", confirmed=True)
    code = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=6):06d}"
    page = browser_page
    base = live_server.url

    page.goto(f"{base}/accounts/login/?next=/council/")
    page.get_by_label("ユーザー名").fill("giin.a")
    page.get_by_label("パスワード").fill(TEST_PASSWORD)
    page.get_by_label("ワンタイムコード").fill(code)
    page.get_by_role("button", name="ログイン").click()
    page.wait_for_url(f"{base}/council/")
    with page.expect_response(lambda r: f"/materials/{material_id}/pages/1/" in r.url):
        page.get_by_role("link", name="議案第12号 補正予算").first.click()
    page.wait_for_url(f"{base}/council/materials/{material_id}/**")

    # Locators and network waits only: the page's CSP forbids eval (wait_for_function).
    with page.expect_response(lambda r: f"/materials/{material_id}/pages/2/" in r.url):
        page.get_by_role("button", name="次のページ").click()
    assert page.locator("#r-page").input_value() == "2"
    page.locator("#r-img[src*='/pages/2/']").wait_for()

    page.get_by_role("button", name="ペン").click()
    box = page.locator("#r-ink").bounding_box()
    annotation_url = f"/api/v1/council/materials/{material_id}/pages/2/annotation/"
    with page.expect_response(lambda r: annotation_url in r.url and r.request.method == "PUT"):
        page.mouse.move(box["x"] + 100, box["y"] + 100)
        page.mouse.down()
        for step in range(1, 10):
            page.mouse.move(box["x"] + 100 + step * 20, box["y"] + 100 + step * 10)
        page.mouse.up()
    stored = Annotation.objects.get(owner=user, page=2)
    assert len(stored.data["strokes"]) == 1

    page.reload()
    page.locator("#r-ink[data-strokes='1']").wait_for(state="attached")
    assert page.locator("#r-page").input_value() == "2"

    page.context.set_offline(True)
    page.get_by_role("button", name="メモ").click()
    box = page.locator("#r-ink").bounding_box()
    page.mouse.click(box["x"] + 200, box["y"] + 300)
    page.get_by_label("メモ", exact=True).last.fill("財源の内訳を質問する")
    page.get_by_role("button", name="保存", exact=True).click()
    page.locator("#r-sync", has_text="オンライン").wait_for()
    assert "財源" not in str(Annotation.objects.get(owner=user, page=2).data)

    page.context.set_offline(False)
    stored = wait_for(
        lambda: (a := Annotation.objects.get(owner=user, page=2)) and a.data["notes"] and a
    )
    assert stored.data["notes"][0]["text"] == "財源の内訳を質問する"
    assert len(stored.data["strokes"]) == 1  # the stroke drawn earlier is kept
    assert page.evaluate("document.documentElement.scrollWidth") <= 834
    page.screenshot(path=SCREENSHOT, full_page=True)
