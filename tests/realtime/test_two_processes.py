"""Two uvicorn processes on one Redis (real processes, real sockets): clients on different
processes exchange messages in order, and a 200-message burst reaches 100 clients in full."""

from __future__ import annotations

import asyncio
import json
import time

import httpx
import pytest
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from websockets.asyncio.client import connect

from chat import services
from tests.realtime.servers import uvicorn_servers
from tests.services import redis_url, require

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def make_users(n: int, prefix: str) -> list:
    User = get_user_model()
    users = User.objects.bulk_create([User(username=f"{prefix}{i:03d}") for i in range(n)])
    users = list(User.objects.filter(username__startswith=prefix).order_by("username"))
    Token.objects.bulk_create(
        [Token(user=u, key=f"{prefix}-token-{u.pk:06d}".ljust(40, "0")[:40]) for u in users]
    )
    return users


def token(user) -> str:
    return Token.objects.get(user=user).key


async def next_message(ws, timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError("no message in time")
        event = json.loads(await asyncio.wait_for(ws.recv(), left))
        if event["type"] == "message":
            return event


def test_clients_on_two_processes_talk_both_ways_in_order(tmp_path):
    require(bool(redis_url()), "KAIRAN_REDIS_URL is not set (two processes share Redis)")
    a, b = make_users(2, "pair")
    room = services.room_create(actor=a, name="二拠点", members=[b.username])
    ta, tb = token(a), token(b)

    async def scenario(port_a: int, port_b: int) -> None:
        async with (
            connect(f"ws://127.0.0.1:{port_a}/ws/chat/?events=all&token={ta}") as wa,
            connect(f"ws://127.0.0.1:{port_b}/ws/chat/?events=all&token={tb}") as wb,
        ):
            assert json.loads(await wa.recv())["type"] == "hello"
            assert json.loads(await wb.recv())["type"] == "hello"
            for i in range(10):
                sender, text = (wa, f"A{i}") if i % 2 == 0 else (wb, f"B{i}")
                await sender.send(json.dumps({"type": "send", "room": room.pk, "text": text}))
                # Both sides, each on its own process, get it before the next one is sent.
                assert (await next_message(wa, 10))["text"] == text
                assert (await next_message(wb, 10))["text"] == text
            # And a burst from both sides at once arrives complete and in one order on both.
            for i in range(20):
                await (wa if i % 2 == 0 else wb).send(
                    json.dumps({"type": "send", "room": room.pk, "text": f"x{i}"})
                )
            seen_a = [(await next_message(wa, 10))["text"] for _ in range(20)]
            seen_b = [(await next_message(wb, 10))["text"] for _ in range(20)]
            assert seen_a == seen_b
            assert sorted(seen_a) == sorted(f"x{i}" for i in range(20))

    with uvicorn_servers(2, tmp_path, redis_url()) as (port_a, port_b):
        asyncio.run(scenario(port_a, port_b))


def test_a_200_message_burst_reaches_100_clients_on_two_processes_in_full(tmp_path):
    require(bool(redis_url()), "KAIRAN_REDIS_URL is not set (two processes share Redis)")
    users = make_users(101, "burst")
    sender, readers = users[0], users[1:]
    room = services.room_create(
        actor=sender, name="全体周知", members=[u.username for u in readers]
    )
    tokens = [token(u) for u in readers]
    sender_token = token(sender)
    burst = 200

    async def reader(port: int, key: str, ready: asyncio.Event, counter: list) -> list[str]:
        texts: list[str] = []
        async with connect(
            f"ws://127.0.0.1:{port}/ws/chat/?events=all&token={key}", max_queue=None
        ) as ws:
            assert json.loads(await ws.recv())["type"] == "hello"
            counter.append(1)
            if len(counter) == len(tokens):
                ready.set()
            deadline = time.monotonic() + 120
            while len(texts) < burst and time.monotonic() < deadline:
                try:
                    event = json.loads(await asyncio.wait_for(ws.recv(), 5))
                except TimeoutError:
                    continue
                if event["type"] == "message":
                    texts.append(event["text"])
        return texts

    async def scenario(ports: list[int]) -> list[list[str]]:
        ready, counter = asyncio.Event(), []
        tasks = [
            asyncio.create_task(reader(ports[i % 2], key, ready, counter))
            for i, key in enumerate(tokens)
        ]
        await asyncio.wait_for(ready.wait(), 60)
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{ports[0]}",
            headers={"Authorization": f"Token {sender_token}"},
            timeout=30,
        ) as http:
            for i in range(burst):
                r = await http.post(
                    f"/api/v1/chat/rooms/{room.pk}/messages/", json={"text": f"m{i:03d}"}
                )
                assert r.status_code == 201, r.text
        return await asyncio.gather(*tasks)

    with uvicorn_servers(2, tmp_path, redis_url()) as ports:
        results = asyncio.run(scenario(ports))

    expected = [f"m{i:03d}" for i in range(burst)]
    assert len(results) == 100
    for texts in results:
        assert texts == expected
