"""Helpers for WebSocket tests through the real ASGI application (config.asgi)."""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import unquote, urlparse

from asgiref.testing import ApplicationCommunicator
from django.test import Client
from rest_framework.authtoken.models import Token

from config.asgi import application


class WebsocketCommunicator(ApplicationCommunicator):
    """Channels' WebsocketCommunicator, reduced to what these tests use. (``channels.testing``
    imports daphne for its live server, which this project does not install.)"""

    def __init__(self, app: Any, path: str, headers: list | None = None) -> None:
        parsed = urlparse(path)
        self.scope = {
            "type": "websocket",
            "path": unquote(parsed.path),
            "query_string": parsed.query.encode(),
            "headers": headers or [],
            "subprotocols": [],
        }
        super().__init__(app, self.scope)

    async def connect(self, timeout: float = 3) -> tuple[bool, Any]:
        await self.send_input({"type": "websocket.connect"})
        response = await self.receive_output(timeout)
        if response["type"] == "websocket.close":
            return False, response.get("code", 1000)
        assert response["type"] == "websocket.accept"
        return True, response.get("subprotocol")

    async def send_to(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if text_data is not None:
            await self.send_input({"type": "websocket.receive", "text": text_data})
        else:
            await self.send_input({"type": "websocket.receive", "bytes": bytes_data})

    async def receive_from(self, timeout: float = 1) -> str:
        response = await self.receive_output(timeout)
        assert response["type"] == "websocket.send", response
        return response["text"]

    async def disconnect(self, code: int = 1000, timeout: float = 3) -> None:
        await self.send_input({"type": "websocket.disconnect", "code": code})
        await self.wait(timeout)


def session_cookie(user: Any) -> str:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}"


def token_for(user: Any) -> str:
    return Token.objects.get_or_create(user=user)[0].key


def ws(
    *,
    path: str = "/ws/chat/",
    cookie: str | None = None,
    token: str | None = None,
    last_event_id: int | None = None,
    origin: str | None = None,
    events: str | None = "all",
) -> WebsocketCommunicator:
    params = [f"events={events}"] if events else []
    if token is not None:
        params.append(f"token={token}")
    if last_event_id is not None:
        params.append(f"last_event_id={last_event_id}")
    if params:
        path = f"{path}?{'&'.join(params)}"
    headers = [(b"host", b"testserver")]
    if cookie:
        headers.append((b"cookie", cookie.encode()))
    if origin:
        headers.append((b"origin", origin.encode()))
    return WebsocketCommunicator(application, path, headers=headers)


async def receive(comm: WebsocketCommunicator, timeout: float = 3) -> dict[str, Any]:
    return json.loads(await comm.receive_from(timeout=timeout))


async def receive_until(
    comm: WebsocketCommunicator, kind: str, timeout: float = 5
) -> dict[str, Any]:
    """The next event of ``kind``, skipping others (bounded by ``timeout`` in total)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        left = deadline - loop.time()
        if left <= 0:
            raise AssertionError(f"no {kind} event within {timeout} s")
        event = await receive(comm, timeout=left)
        if event["type"] == kind:
            return event


async def drain(comm: WebsocketCommunicator, quiet: float = 0.3) -> list[dict[str, Any]]:
    """Everything that arrives until the socket is quiet for ``quiet`` seconds (max 500 events).
    Never times out a receive: asgiref cancels the application when one does."""
    out: list[dict[str, Any]] = []
    loop = asyncio.get_running_loop()
    idle_since = loop.time()
    while len(out) < 500 and loop.time() - idle_since < quiet:
        if comm.output_queue.empty():
            await asyncio.sleep(0.02)
            continue
        out.append(json.loads(await comm.receive_from()))
        idle_since = loop.time()
    return out


async def send(comm: WebsocketCommunicator, **content: Any) -> None:
    await comm.send_to(text_data=json.dumps(content, ensure_ascii=False))
