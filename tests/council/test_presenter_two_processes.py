"""Follow the presenter across two uvicorn processes on one Redis (real processes and sockets)."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from rest_framework.authtoken.models import Token
from websockets.asyncio.client import connect

from council.services import councilor_upsert
from tests.council.conftest import create_meeting, upload_material, user_of
from tests.realtime.servers import uvicorn_servers
from tests.services import redis_url, require

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]


async def next_of(ws, kind: str, timeout: float = 10) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"no {kind} in time")
        event = json.loads(await asyncio.wait_for(ws.recv(), left))
        if event["type"] == kind:
            return event


async def quiet_gotos(ws, seconds: float) -> list[dict]:
    """Every goto that arrives within ``seconds`` (bounded wait)."""
    seen = []
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        try:
            event = json.loads(await asyncio.wait_for(ws.recv(), left))
        except TimeoutError:
            break
        if event["type"] == "goto":
            seen.append(event)
    return seen


def test_presenter_on_one_process_moves_followers_on_both(council, tmp_path):
    require(bool(redis_url()), "KAIRAN_REDIS_URL is not set (two processes share Redis)")
    meeting_id = create_meeting(council)
    material_id = upload_material(council, meeting_id, pages=["1", "2", "3", "4", "5"]).json()["id"]
    extra = [
        councilor_upsert(username=f"giin.x{i}", name=f"議員 {i}", password="x")[0] for i in range(4)
    ]
    followers = [council.a, council.b, council.chair, *extra]
    tokens = [Token.objects.get_or_create(user=user_of(c))[0].key for c in followers]
    clerk_token = Token.objects.get_or_create(user=user_of(council.clerk))[0].key
    path = f"/ws/council/meetings/{meeting_id}/"

    async def scenario(ports: list[int]) -> None:
        def url(i: int, key: str) -> str:
            return f"ws://127.0.0.1:{ports[i % 2]}{path}?token={key}"

        async with connect(url(0, clerk_token)) as presenter:
            await next_of(presenter, "current")
            sockets = [await connect(url(i, key)).__aenter__() for i, key in enumerate(tokens)]
            try:
                for ws in sockets:
                    await next_of(ws, "current")
                for page in (2, 3):
                    await presenter.send(
                        json.dumps({"type": "goto", "material": material_id, "page": page})
                    )
                    for ws in sockets:
                        assert (await next_of(ws, "goto"))["page"] == page
                away = sockets[1]  # on the second process
                await away.send(json.dumps({"type": "unfollow"}))
                await asyncio.sleep(0.3)
                await presenter.send(
                    json.dumps({"type": "goto", "material": material_id, "page": 5})
                )
                assert (await next_of(sockets[0], "goto"))["page"] == 5
                assert await quiet_gotos(away, 1.0) == []
                await away.send(json.dumps({"type": "follow"}))
                assert (await next_of(away, "current"))["page"] == 5
                async with connect(url(1, tokens[0])) as late:
                    assert (await next_of(late, "current"))["page"] == 5
                follow_counts = []
                while True:
                    try:
                        event = json.loads(await asyncio.wait_for(presenter.recv(), 0.5))
                    except TimeoutError:
                        break
                    if event["type"] == "followers":
                        follow_counts.append(event["count"])
                assert follow_counts
            finally:
                for ws in sockets:
                    await ws.close()

    with uvicorn_servers(2, tmp_path, redis_url()) as ports:
        asyncio.run(scenario(ports))
