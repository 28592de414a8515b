"""The header bell on every screen: a new notification reaches its person's socket (stored
first, then sent; ``/ws/chat/?events=notification``) and nobody else's; the page carries where
the person's stream stood when it was rendered, so a notification created between the render
and the connection is replayed, not lost; a browser on a screen that is not chat sees the
count change without a reload."""

from __future__ import annotations

import re
import threading

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from django.test import Client
from playwright.sync_api import expect, sync_playwright

from chat import services
from directory.notifications import notification_create
from tests.chat.conftest import sign_in
from tests.fixtures.browser import CHROMIUM, CHROMIUM_ARGS, IPAD_PORTRAIT
from tests.realtime.helpers import drain, receive, receive_until, session_cookie
from tests.realtime.helpers import ws as open_ws
from tests.services import require_binary

pytestmark = pytest.mark.django_db(transaction=True)

HEAD_RE = re.compile(r'src="[^"]*js/bell\.js"[^>]*data-last-event-id="(\d+)"')


def run(scenario):
    async_to_sync(scenario)()


def bell_socket(cookie: str, last_event_id: int | None = None):
    return open_ws(cookie=cookie, events="notification", last_event_id=last_event_id)


def test_a_notification_reaches_its_persons_socket_and_no_one_elses(chat):
    staff, kakari = chat.org.zaisei_staff, chat.org.zaisei_kakaricho
    staff_cookie, kakari_cookie = session_cookie(staff.user), session_cookie(kakari.user)

    async def scenario():
        mine, theirs = bell_socket(staff_cookie), bell_socket(kakari_cookie)
        for c in (mine, theirs):
            assert (await c.connect())[0] is True
            assert (await receive(c))["type"] == "hello"
        await database_sync_to_async(notification_create)(
            recipient=staff, kind="test", title="決裁が届きました", url="/approval/"
        )
        event = await receive_until(mine, "notification")
        assert (event["title"], event["url"], event["unread"]) == (
            "決裁が届きました",
            "/approval/",
            1,
        )
        assert await drain(theirs) == []
        await database_sync_to_async(notification_create)(
            recipient=staff, kind="test", title="二件目", url="/approval/"
        )
        assert (await receive_until(mine, "notification"))["unread"] == 2
        for c in (mine, theirs):
            await c.disconnect()

    run(scenario)


def test_the_bell_socket_carries_notifications_only(chat):
    """A chat message of the person's room is on the same stream; the bell does not get it
    (the chat screen's socket, ?events=all, does)."""
    staff, kakari = chat.org.zaisei_staff, chat.org.zaisei_kakaricho
    cookie = session_cookie(staff.user)

    async def scenario():
        bell, full = bell_socket(cookie), open_ws(cookie=cookie)
        for c in (bell, full):
            await c.connect()
            await receive(c)  # hello
        await database_sync_to_async(services.message_send)(
            actor=kakari.user, room_id=chat.kakari_room.pk, text="会議は3時から"
        )
        assert (await receive_until(full, "message"))["text"] == "会議は3時から"
        assert await drain(bell) == []
        for c in (bell, full):
            await c.disconnect()

    run(scenario)


def test_a_notification_between_the_render_and_the_connection_is_replayed(chat):
    staff = chat.org.zaisei_staff
    client = Client()
    client.force_login(staff.user)
    page = client.get("/approval/").content.decode()
    head = int(HEAD_RE.search(page).group(1))
    notification_create(recipient=staff, kind="test", title="その間の通知", url="/approval/")
    cookie = session_cookie(staff.user)

    async def scenario():
        c = bell_socket(cookie, last_event_id=head)
        await c.connect()
        assert await receive(c) == {"type": "hello", "event_id": head}
        event = await receive(c)
        assert (event["type"], event["title"]) == ("notification", "その間の通知")
        assert event["unread"] == 1
        assert event["event_id"] > head
        await c.disconnect()

    run(scenario)


def test_every_screen_of_a_person_loads_the_bell_and_others_do_not(chat, django_user_model):
    client = Client()
    client.force_login(chat.org.zaisei_staff.user)
    for path in ("/", "/approval/", "/records/", "/chat/", "/notifications/"):
        assert HEAD_RE.search(client.get(path).content.decode()), path
    assert "js/bell.js" not in Client().get("/accounts/login/").content.decode()
    admin = django_user_model.objects.create_user("nobody-in-directory", password="x")
    client.force_login(admin)
    assert "js/bell.js" not in client.get("/notifications/").content.decode()


@pytest.mark.e2e
def test_the_bell_updates_on_a_screen_that_is_not_chat(chat, asgi_server, monkeypatch):
    executable = require_binary(CHROMIUM, "browser tests drive Debian's chromium")
    expect.set_options(timeout=20_000)
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    staff = chat.org.zaisei_staff
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport=IPAD_PORTRAIT, locale="ja-JP")
            context.set_default_timeout(15_000)
            page = context.new_page()
            sockets = []
            page.on("websocket", lambda socket: sockets.append(socket.url))
            sign_in(page, asgi_server, "zstaff", "/approval/")
            expect(page.get_by_test_id("notifications-unread")).to_have_count(0)
            # No waiting for the socket: it resumes from where the page was rendered.
            # From another thread, as a server would: this one runs Playwright's event loop.
            writer = threading.Thread(
                target=notification_create,
                kwargs={
                    "recipient": staff,
                    "kind": "test",
                    "title": "起案が差し戻されました",
                    "url": "/approval/",
                },
            )
            writer.start()
            writer.join(20)
            # The same wording as the server renders it.
            expect(page.get_by_test_id("notifications-unread")).to_have_text("未読 1件")
            expect(page.get_by_test_id("notifications-live")).to_contain_text(
                "起案が差し戻されました"
            )
            assert len(sockets) == 1
            assert "events=notification" in sockets[0]
            page.screenshot(path="/tmp/kairan-bell-ipad.png")
        finally:
            browser.close()
