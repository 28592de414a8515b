"""Chat fixtures: a unit room (財政係) built by the unit-room sync from the ``org`` fixture."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import pytest

from chat.models import Room
from chat.unit_rooms import unit_rooms_sync
from tests.factories import TEST_PASSWORD


@dataclass
class ChatWorld:
    org: object
    kakari_room: Room  # 財政係: zkakari (係長) and zstaff (主事)
    kacho_room: Room  # 財政課: zkacho


@pytest.fixture
def chat(org) -> ChatWorld:
    unit_rooms_sync()
    return ChatWorld(
        org=org,
        kakari_room=Room.objects.get(unit=org.zaisei_kakari),
        kacho_room=Room.objects.get(unit=org.zaisei),
    )


@pytest.fixture
def api(client):
    """A test client signed in as a given user: api(user) → Client."""

    def sign_in(user):
        from django.test import Client

        c = Client()
        c.force_login(user)
        return c

    return sign_in


@pytest.fixture
def asgi_server(transactional_db):
    """config.asgi served by uvicorn in a thread of this process (the test database is shared,
    as with pytest-django's live_server, which serves no WebSockets)."""
    import uvicorn

    from config.asgi import application
    from tests.realtime.servers import free_port

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            application, host="127.0.0.1", port=port, lifespan="off", log_level="warning"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


def sign_in(page, base: str, username: str, next_path: str) -> None:
    page.goto(f"{base}/accounts/login/?next={next_path}")
    page.get_by_label("ユーザー名").fill(username)
    page.get_by_label("パスワード").fill(TEST_PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    page.wait_for_url(f"{base}{next_path}")
