"""Persist-then-publish through /ws/chat/: resume from last_event_id exactly once and in order;
a wake-up lost by the layer (or dropped from a full queue) is found, never a silent loss; a
replay too long or purged is a resync."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async

from chat import services
from realtime import services as realtime_services
from realtime.models import Event, Stream
from realtime.services import user_stream_key
from tests.realtime.helpers import drain, receive, receive_until, token_for, ws

pytestmark = pytest.mark.django_db(transaction=True)


def run(scenario):
    async_to_sync(scenario)()


def texts(events):
    return [e["text"] for e in events if e["type"] == "message"]


def test_reconnect_with_last_event_id_replays_what_was_missed_once_in_order(chat):
    kakari, staff = chat.org.zaisei_kakaricho.user, chat.org.zaisei_staff.user
    room = chat.kakari_room
    token = token_for(staff)
    send = database_sync_to_async(services.message_send)

    async def scenario():
        c = ws(token=token)
        await c.connect()
        await receive(c)
        await send(actor=kakari, room_id=room.pk, text="before")
        first = await receive_until(c, "message")
        await c.disconnect()
        for i in range(25):
            await send(actor=kakari, room_id=room.pk, text=f"missed {i}")
        again = ws(token=token, last_event_id=first["event_id"])
        await again.connect()
        hello = await receive(again)
        assert hello == {"type": "hello", "event_id": first["event_id"]}
        await send(actor=kakari, room_id=room.pk, text="live")
        events = await drain(again, quiet=0.5)
        assert texts(events) == [f"missed {i}" for i in range(25)] + ["live"]
        ids = [e["event_id"] for e in events]
        assert ids == sorted(set(ids))
        assert ids[0] == first["event_id"] + 1
        await again.disconnect()

    run(scenario)


def test_a_lost_wake_up_is_detected_by_the_gap_and_filled_from_the_store(chat, monkeypatch):
    kakari, staff = chat.org.zaisei_kakaricho.user, chat.org.zaisei_staff.user
    room = chat.kakari_room
    token = token_for(staff)
    send = database_sync_to_async(services.message_send)
    real_wake = realtime_services.wake
    dropping = {"on": False}

    def lossy_wake(wakeups):
        if not dropping["on"]:
            real_wake(wakeups)

    monkeypatch.setattr(realtime_services, "wake", lossy_wake)

    async def scenario():
        c = ws(token=token)
        await c.connect()
        hello = await receive(c)
        dropping["on"] = True  # the layer loses these two wake-ups entirely
        await send(actor=kakari, room_id=room.pk, text="lost 1")
        await send(actor=kakari, room_id=room.pk, text="lost 2")
        assert await drain(c) == []
        dropping["on"] = False
        await send(actor=kakari, room_id=room.pk, text="next")
        events = await drain(c, quiet=0.5)
        assert texts(events) == ["lost 1", "lost 2", "next"]
        start = hello["event_id"]
        assert [e["event_id"] for e in events] == [start + 1, start + 2, start + 3]
        await c.disconnect()

    run(scenario)


def test_a_lost_last_wake_up_is_found_by_the_poll(chat, monkeypatch, settings):
    settings.REALTIME = {**settings.REALTIME, "POLL_SECONDS": 0.2}
    kakari, staff = chat.org.zaisei_kakaricho.user, chat.org.zaisei_staff.user
    room = chat.kakari_room
    token = token_for(staff)
    monkeypatch.setattr(realtime_services, "wake", lambda wakeups: None)

    async def scenario():
        c = ws(token=token)
        await c.connect()
        await receive(c)
        await database_sync_to_async(services.message_send)(
            actor=kakari, room_id=room.pk, text="silent"
        )
        got = await receive_until(c, "message", timeout=3)
        assert got["text"] == "silent"
        await c.disconnect()

    run(scenario)


def test_a_replay_longer_than_the_limit_or_purged_is_a_resync(chat, settings):
    settings.REALTIME = {**settings.REALTIME, "REPLAY_LIMIT": 5}
    kakari, staff = chat.org.zaisei_kakaricho.user, chat.org.zaisei_staff.user
    room = chat.kakari_room
    token = token_for(staff)
    for i in range(8):
        services.message_send(actor=kakari, room_id=room.pk, text=f"m{i}")
    head = Stream.objects.get(key=user_stream_key(staff.pk)).last_seq

    async def scenario():
        c = ws(token=token, last_event_id=0)
        await c.connect()
        await receive(c)
        assert await receive(c) == {"type": "resync", "event_id": head}
        await c.disconnect()

    run(scenario)
    settings.REALTIME = {**settings.REALTIME, "REPLAY_LIMIT": 1000}
    Event.objects.filter(stream__key=user_stream_key(staff.pk), seq__lte=2).delete()

    async def purged():
        c = ws(token=token, last_event_id=1)
        await c.connect()
        await receive(c)
        assert (await receive(c))["type"] == "resync"
        await c.disconnect()

    run(purged)


def test_the_in_memory_layer_dropping_a_full_queue_loses_nothing(chat, monkeypatch, settings):
    """Channels' in-memory layer drops silently what does not fit a channel's queue (100; here
    2, to force it): a burst past that is recovered from the store, in order. (The embedded
    default's layer, also in the Redis run.)"""
    from channels.layers import get_channel_layer

    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

    kakari, staff = chat.org.zaisei_kakaricho.user, chat.org.zaisei_staff.user
    room = chat.kakari_room
    token = token_for(staff)
    layer = get_channel_layer()
    monkeypatch.setattr(layer, "capacity", 2)
    full = {"n": 0}
    real_send = layer.send

    async def counting_send(channel, message):
        try:
            await real_send(channel, message)
        except Exception:
            full["n"] += 1
            raise

    monkeypatch.setattr(layer, "send", counting_send)

    def burst():
        for i in range(60):
            services.message_send(actor=kakari, room_id=room.pk, text=f"b{i}")

    async def scenario():
        c = ws(token=token)
        await c.connect()
        await receive(c)
        await database_sync_to_async(burst)()
        events = await drain(c, quiet=2.0)
        assert texts(events) == [f"b{i}" for i in range(60)]
        ids = [e["event_id"] for e in events]
        assert ids == list(range(ids[0], ids[0] + 60))
        await c.disconnect()

    run(scenario)
    assert full["n"] > 0  # the layer really dropped wake-ups


def test_a_big_room_is_woken_with_one_fan_out_and_each_gets_its_own_event_id(chat, monkeypatch):
    """More than FANOUT_THRESHOLD streams in one transaction: one wake-up to the installation's
    group; every connection picks its own stream's events from it."""
    from django.contrib.auth import get_user_model

    from realtime import services as rs

    User = get_user_model()
    users = [User.objects.create(username=f"big{i:02d}") for i in range(rs.FANOUT_THRESHOLD + 4)]
    room = services.room_create(
        actor=users[0], name="大部屋", members=[u.username for u in users[1:]]
    )
    tokens = [token_for(u) for u in users[1:4]]
    sent = []
    real_wake = rs.wake

    def spy(wakeups):
        sent.append([group for group, _ in wakeups])
        real_wake(wakeups)

    monkeypatch.setattr(rs, "wake", spy)

    async def scenario():
        comms = [ws(token=t) for t in tokens]
        hellos = []
        for c in comms:
            await c.connect()
            hellos.append(await receive(c))
        for i in range(3):
            await database_sync_to_async(services.message_send)(
                actor=users[0], room_id=room.pk, text=f"全員へ{i}"
            )
        for c, hello in zip(comms, hellos, strict=True):
            events = await drain(c, quiet=0.5)
            assert texts(events) == ["全員へ0", "全員へ1", "全員へ2"]
            assert [e["event_id"] for e in events] == [hello["event_id"] + k for k in (1, 2, 3)]
            await c.disconnect()

    run(scenario)
    assert all(groups == [groups[0]] and groups[0].endswith(".all") for groups in sent)
