"""The secretariat console on an iPad: a clerk creates a session and a meeting in it, keeps the
agenda (add, change, move, remove after the confirmation dialog) and uploads a material for
named executives — all through the screens; no serious accessibility violation (axe), no
sideways scrolling, in portrait and landscape. Screenshots: /tmp/kairan-council-console-*.png."""

from __future__ import annotations

import pytest

from council.models import AgendaItem, CouncilSession, Material, Meeting
from directory.models import OrgUnit
from tests.council.conftest import make_pdf
from tests.factories import OrgUnitFactory, make_person

SHOTS = "/tmp/kairan-council-console-{}.png"
PORTRAIT = {"width": 768, "height": 1024}
LANDSCAPE = {"width": 1024, "height": 768}

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _no_sideways_scroll(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_the_secretariat_keeps_sessions_agenda_and_named_audiences_on_an_ipad(
    live_server, browser_page, council
):
    from tests.e2e.test_accessibility import check, sign_in

    make_person("mayor", "市長 太郎", OrgUnitFactory(name="市長室", level=OrgUnit.Level.DEPARTMENT))
    page, base = browser_page, live_server.url
    page.set_viewport_size(PORTRAIT)
    sign_in(page, base, "clerk", "/council/")

    page.get_by_label("会期の名称").fill("令和8年第4回定例会")
    page.get_by_label("種類").select_option("regular")
    page.get_by_label("開始日", exact=True).fill("2026-12-01")
    page.get_by_role("button", name="会期を作成").click()
    page.get_by_role("heading", name="令和8年第4回定例会").wait_for()
    assert CouncilSession.objects.get().starts_on.isoformat() == "2026-12-01"

    page.locator("#m-title").fill("本会議（第1日）")
    page.locator("#m-starts").fill("2026-12-10T10:00")
    assert page.locator("#m-session option:checked").inner_text() == "令和8年第4回定例会"
    page.get_by_role("button", name="作成", exact=True).click()
    page.wait_for_url(f"{base}/council/meetings/*/")
    meeting = Meeting.objects.get()
    assert meeting.session.name == "令和8年第4回定例会"

    for kind, number, title in (
        ("bill", "議案第12号", "一般会計補正予算"),
        ("petition", "", "通学路の安全対策を求める請願"),
    ):
        page.locator("#a-kind").select_option(kind)
        page.locator("#a-number").fill(number)
        page.locator("#a-title").fill(title)
        page.get_by_role("button", name="追加", exact=True).click()
        page.locator("tr[data-agenda] input[name=title]").last.wait_for()
        page.wait_for_load_state()
    assert AgendaItem.objects.count() == 2
    petition = AgendaItem.objects.get(kind="petition")
    page.get_by_label("2番目の項目の番号").fill("請願第1号")
    page.locator(f"tr[data-agenda='{petition.pk}']").get_by_role("button", name="保存").click()
    page.get_by_text("議事日程の項目を保存しました。").wait_for()
    page.get_by_role("button", name="2番目の項目を上へ").click()
    page.get_by_text("議事日程").first.wait_for()
    page.wait_for_load_state()
    assert list(AgendaItem.objects.order_by("order").values_list("number", flat=True)) == [
        "請願第1号",
        "議案第12号",
    ]

    # Upload for named executives (the page posts to the API with progress).
    page.locator("#u-title").fill("市長説明資料")
    page.locator("#u-file").set_input_files(
        {"name": "setsumei.pdf", "mimeType": "application/pdf", "buffer": make_pdf(["説明"])}
    )
    page.locator("#u-publish").fill("2026-01-01T09:00")
    page.locator("#u-audience").select_option("people")
    page.get_by_label("指名する幹部職員（ユーザー名）").fill("mayor")
    with page.expect_navigation():
        page.get_by_role("button", name="登録", exact=True).click()
    page.locator("td", has_text="市長 太郎").wait_for()
    assert Material.objects.get().readers.get().display_name == "市長 太郎"

    check(page, "council console: meeting (portrait)")
    _no_sideways_scroll(page, PORTRAIT["width"])
    page.screenshot(path=SHOTS.format("meeting-portrait"), full_page=True)
    page.set_viewport_size(LANDSCAPE)
    page.reload()
    _no_sideways_scroll(page, LANDSCAPE["width"])
    page.screenshot(path=SHOTS.format("meeting-landscape"), full_page=True)

    # Removing asks first (the confirmation dialog), then the agenda closes up.
    bill = AgendaItem.objects.get(kind="bill")
    page.locator(f"tr[data-agenda='{bill.pk}']").get_by_role("button", name="削除").click()
    page.get_by_role("dialog").get_by_role("button", name="削除").click()
    page.get_by_text("議事日程から削除しました。").wait_for()
    assert list(AgendaItem.objects.values_list("order", "number")) == [(1, "請願第1号")]

    page.goto(f"{base}/council/")
    check(page, "council console: home")
    _no_sideways_scroll(page, LANDSCAPE["width"])
    page.screenshot(path=SHOTS.format("home-landscape"), full_page=True)
    page.set_viewport_size(PORTRAIT)
    page.screenshot(path=SHOTS.format("home-portrait"), full_page=True)
