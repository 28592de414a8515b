"""Two people chat in their unit room in two browser contexts on an iPad (834×1194), in
Japanese, through a real ASGI server (uvicorn in a thread: HTTP and WebSockets); the sender
sees 既読 1 once the other has read it. The composer does not send while an IME composes."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect, sync_playwright

from chat.unit_rooms import unit_rooms_sync
from tests.chat.conftest import sign_in
from tests.fixtures.browser import CHROMIUM, CHROMIUM_ARGS, IPAD_PORTRAIT
from tests.services import require_binary

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SCREENSHOT = "/tmp/kairan-chat-ipad.png"


def test_two_people_chat_in_their_unit_room_and_the_sender_sees_read_1(
    org, asgi_server, monkeypatch
):
    executable = require_binary(CHROMIUM, "browser tests drive Debian's chromium")
    # A loaded CI machine: give the page more than expect()'s default 5 s.
    expect.set_options(timeout=20_000)
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    unit_rooms_sync()
    from chat.models import Room

    room = Room.objects.get(unit=org.zaisei_kakari)
    path = f"/chat/rooms/{room.pk}/"

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            ctx_a = browser.new_context(viewport=IPAD_PORTRAIT, locale="ja-JP")
            ctx_b = browser.new_context(viewport=IPAD_PORTRAIT, locale="ja-JP")
            for ctx in (ctx_a, ctx_b):
                ctx.set_default_timeout(15_000)
            a, b = ctx_a.new_page(), ctx_b.new_page()
            sign_in(a, asgi_server, "zstaff", path)
            sign_in(b, asgi_server, "zkakari", path)
            for page in (a, b):
                expect(page.get_by_test_id("connection")).to_have_text("接続しました")

            box = a.get_by_role("textbox", name="メッセージ")
            # Enter while the IME is composing confirms the conversion: nothing is sent.
            box.fill("よさんの")
            box.dispatch_event("keydown", {"key": "Enter", "keyCode": 229, "isComposing": True})
            box.evaluate(
                "el => el.dispatchEvent(new KeyboardEvent('keydown',"
                " {key: 'Enter', isComposing: true, bubbles: true}))"
            )
            a.wait_for_timeout(300)
            expect(a.get_by_test_id("messages").locator("li")).to_have_count(0)

            box.fill("予算の資料を共有します <b>太字ではない</b> https://example.lg.jp/a")
            box.press("Enter")
            mine = a.get_by_test_id("messages").locator("li").last
            expect(mine).to_contain_text("予算の資料を共有します <b>太字ではない</b>")
            theirs = b.get_by_test_id("messages").locator("li").last
            expect(theirs).to_contain_text("予算の資料を共有します <b>太字ではない</b>")
            expect(theirs.get_by_role("link")).to_have_attribute("href", "https://example.lg.jp/a")
            assert theirs.locator("b").count() == 0
            expect(mine.get_by_test_id("read-count")).to_have_text("既読 1")

            b.get_by_role("textbox", name="メッセージ").fill("了解です")
            b.get_by_role("button", name="送信").click()
            expect(a.get_by_test_id("messages").locator("li").last).to_contain_text("了解です")
            assert a.evaluate("document.documentElement.scrollWidth") <= IPAD_PORTRAIT["width"]
            a.screenshot(path=SCREENSHOT, full_page=True)
        finally:
            browser.close()
