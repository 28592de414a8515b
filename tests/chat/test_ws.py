"""/ws/chat/ through the real ASGI application: auth, membership per event, removal at once,
frame and flood limits, escaping stays the screen's job (text is stored as typed)."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async

from chat import services
from chat.models import Message
from tests.realtime.helpers import drain, receive, receive_until, send, session_cookie, token_for
from tests.realtime.helpers import ws as open_ws

pytestmark = pytest.mark.django_db(transaction=True)

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def run(scenario):
    async_to_sync(scenario)()


def test_refused_without_credentials_and_with_a_bad_token(chat):
    async def scenario():
        for comm in (open_ws(), open_ws(token="not-a-token")):
            connected, code = await comm.connect()
            assert (connected, code) == (False, 4401)

    run(scenario)


def test_inactive_user_is_refused_by_token_and_by_cookie(chat):
    user = chat.org.zaisei_staff.user
    token, cookie = token_for(user), session_cookie(user)
    user.is_active = False
    user.save(update_fields=["is_active"])

    async def scenario():
        for comm in (open_ws(token=token), open_ws(cookie=cookie)):
            connected, _ = await comm.connect()
            assert not connected

    run(scenario)


def test_cross_site_origin_is_refused_same_site_and_none_accepted(chat):
    user = chat.org.zaisei_staff.user
    cookie = session_cookie(user)

    async def scenario():
        evil = open_ws(cookie=cookie, origin="https://evil.example")
        assert (await evil.connect())[0] is False
        for origin in ("http://testserver", None):
            comm = open_ws(cookie=cookie, origin=origin)
            assert (await comm.connect())[0] is True
            assert (await receive(comm))["type"] == "hello"
            await comm.disconnect()

    run(scenario)


def test_cookie_and_token_clients_exchange_messages_in_their_unit_room(chat):
    kakari, staff = chat.org.zaisei_kakaricho.user, chat.org.zaisei_staff.user
    room = chat.kakari_room

    cookie, token = session_cookie(kakari), token_for(staff)

    async def scenario():
        a = open_ws(cookie=cookie)
        b = open_ws(token=token)
        assert (await a.connect())[0]
        assert (await b.connect())[0]
        await receive(a), await receive(b)  # hello
        await send(a, type="send", room=room.pk, text="予算の件です", client_id="c-1")
        got_a = await receive_until(a, "message")
        got_b = await receive_until(b, "message")
        for got in (got_a, got_b):
            assert got["room"] == room.pk
            assert got["sender"] == "zkakari"
            assert got["text"] == "予算の件です"
            assert got["client_id"] == "c-1"
            assert isinstance(got["event_id"], int)
            assert {"sent_at", "id"} <= set(got)
        await send(b, type="read", room=room.pk, message=got_b["id"])
        receipt = await receive_until(a, "receipt")
        assert receipt == {
            "type": "receipt",
            "room": room.pk,
            "message": got_a["id"],
            "reader": "zstaff",
            "event_id": receipt["event_id"],
        }
        await a.disconnect()
        await b.disconnect()

    run(scenario)
    assert Message.objects.get().receipts.get().user == staff


def test_a_non_member_receives_nothing_and_cannot_send(chat):
    kakari, outsider = chat.org.zaisei_kakaricho.user, chat.org.keiyaku_staff.user
    room = chat.kakari_room

    ta, tx = token_for(kakari), token_for(outsider)

    async def scenario():
        a = open_ws(token=ta)
        x = open_ws(token=tx)
        await a.connect(), await x.connect()
        await receive(a), await receive(x)
        await send(a, type="send", room=room.pk, text="内部の話")
        await receive_until(a, "message")
        assert await drain(x) == []
        await send(x, type="send", room=room.pk, text="入れて", client_id="x1")
        error = await receive_until(x, "error")
        assert error["client_id"] == "x1"
        assert await drain(a) == []
        await a.disconnect()
        await x.disconnect()

    run(scenario)
    assert Message.objects.filter(room=chat.kakari_room).count() == 1


def test_a_removed_member_stops_receiving_at_once_on_an_open_socket(chat):
    kakari, staff = chat.org.zaisei_kakaricho.user, chat.org.zaisei_staff.user
    room = services.room_create(actor=kakari, name="予算作業", members=["zstaff"])

    token = token_for(staff)

    async def scenario():
        b = open_ws(token=token)
        await b.connect()
        await receive(b)
        await database_sync_to_async(services.message_send)(actor=kakari, room_id=room.pk, text="1")
        assert (await receive_until(b, "message"))["text"] == "1"
        await database_sync_to_async(services.room_member_remove)(
            actor=kakari, room=room, username="zstaff"
        )
        left = await receive_until(b, "room_left")
        assert left["room"] == room.pk
        await database_sync_to_async(services.message_send)(actor=kakari, room_id=room.pk, text="2")
        assert await drain(b) == []
        await b.disconnect()

    run(scenario)


def test_oversized_frames_floods_and_garbage_get_an_error_not_a_crash(chat, settings):
    settings.REALTIME = {**settings.REALTIME, "RATE_FRAMES": 5, "RATE_SECONDS": 60}
    staff = chat.org.zaisei_staff.user
    room = chat.kakari_room

    token = token_for(staff)

    async def scenario():
        c = open_ws(token=token)
        await c.connect()
        await receive(c)
        await send(c, type="send", room=room.pk, text="あ" * 20000)
        assert (await receive(c))["type"] == "error"
        await c.send_to(bytes_data=b"\x00\x01")
        assert (await receive(c))["type"] == "error"
        await c.send_to(text_data="{not json")
        assert (await receive(c))["type"] == "error"
        await c.send_to(text_data="[1, 2]")
        assert (await receive(c))["type"] == "error"
        for i in range(10):
            await send(c, type="ping", n=i)
        events = await drain(c)
        errors = [e for e in events if e["type"] == "error"]
        assert errors, events
        assert "slow down" in errors[0]["detail"] or "ゆっくり" in errors[0]["detail"]
        # Still connected and served.
        await send(c, type="send", room=room.pk, text="")  # bad input, but connection lives
        await c.disconnect()

    run(scenario)


def test_xss_payload_is_stored_as_typed_and_delivered_as_data(chat):
    staff = chat.org.zaisei_staff.user
    room = chat.kakari_room

    token = token_for(staff)

    async def scenario():
        c = open_ws(token=token)
        await c.connect()
        await receive(c)
        await send(c, type="send", room=room.pk, text=XSS, client_id="xss")
        got = await receive_until(c, "message")
        assert got["text"] == XSS
        await c.disconnect()

    run(scenario)
    assert Message.objects.get(client_id="xss").text == XSS


def test_a_repeated_client_id_is_stored_once(chat):
    staff = chat.org.zaisei_staff.user
    room = chat.kakari_room

    token = token_for(staff)

    async def scenario():
        c = open_ws(token=token)
        await c.connect()
        await receive(c)
        await send(c, type="send", room=room.pk, text="一度だけ", client_id="same")
        await send(c, type="send", room=room.pk, text="一度だけ", client_id="same")
        events = [e for e in await drain(c, quiet=0.5) if e["type"] == "message"]
        assert len(events) == 1
        await c.disconnect()

    run(scenario)
    assert Message.objects.filter(client_id="same").count() == 1


def test_a_client_of_the_bare_contract_gets_only_contract_types(chat):
    """Without ?events=all: no hello, no room_joined — the first frame after a send is the
    message itself, and a room created meanwhile announces itself by its first message."""
    kakari, staff = chat.org.zaisei_kakaricho.user, chat.org.zaisei_staff.user
    token = token_for(staff)

    async def scenario():
        c = open_ws(token=token, events=None)
        assert (await c.connect())[0]
        room = await database_sync_to_async(services.room_create)(
            actor=kakari, name="新規", members=["zstaff"]
        )
        await send(c, type="send", room=room.pk, text="最初の一言", client_id="b1")
        first = await receive(c)
        assert first["type"] == "message"
        assert first["text"] == "最初の一言"
        await database_sync_to_async(services.message_read)(
            actor=kakari, room_id=room.pk, message_id=first["id"]
        )
        receipt = await receive(c)
        assert receipt["type"] == "receipt"
        assert receipt["reader"] == "zkakari"
        await c.disconnect()

    run(scenario)


def test_a_new_notification_updates_the_bell_over_the_socket(chat):
    from directory.notifications import notification_create

    person = chat.org.zaisei_staff
    token = token_for(person.user)

    async def scenario():
        c = open_ws(token=token)
        await c.connect()
        await receive(c)
        await database_sync_to_async(notification_create)(
            recipient=person, kind="test", title="決裁が届きました", url="/approval/"
        )
        event = await receive_until(c, "notification")
        assert event["title"] == "決裁が届きました"
        assert event["unread"] == 1
        await c.disconnect()

    run(scenario)


def test_an_expired_token_is_refused_like_on_the_rest_api(chat, settings):
    from datetime import timedelta

    from django.utils import timezone
    from rest_framework.authtoken.models import Token

    settings.TOKEN_DAYS = 1
    user = chat.org.zaisei_staff.user
    token = token_for(user)
    Token.objects.filter(key=token).update(created=timezone.now() - timedelta(days=2))

    async def scenario():
        comm = open_ws(token=token)
        assert (await comm.connect()) == (False, 4401)

    run(scenario)
