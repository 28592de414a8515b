"""Issue 9, probe 3: the screens' upload (/records/upload/) spooled the whole body to disk before
refusing an oversized file. Every path now refuses a body over the upload limit before it is
parsed (config.middleware.BodySizeMiddleware), and under ASGI before it is even read
(config.middleware.BodySizeGuard): 413, JSON under /api/, our page elsewhere."""

from __future__ import annotations

import asyncio
import logging

import pytest
from django.http import multipartparser
from django.test import Client
from rest_framework.test import APIClient

from config.middleware import BodySizeGuard, body_limit_bytes
from documents.models import Document

pytestmark = pytest.mark.django_db

LOCAL_BACKEND = "directory.backends.LocalAccountBackend"
UPLOAD_PATHS = [
    "/records/upload/",
    "/api/v1/documents/",
    "/council/materials/upload/1/",
    "/approval/proposals/1/attachments/",
    "/api/v1/proposals/1/attachments/",
    "/api/v1/council/materials/",
]


@pytest.fixture(autouse=True)
def _small_limit(settings, tmp_path, caplog):
    caplog.set_level(logging.CRITICAL)
    settings.UPLOAD_MAX_BYTES = 1000
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def never_parsed(monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("the multipart body was parsed")

    monkeypatch.setattr(multipartparser.MultiPartParser, "parse", fail)


def _oversize_multipart() -> dict[str, str]:
    return {
        "CONTENT_TYPE": "multipart/form-data; boundary=BoUnDaRy",
        "CONTENT_LENGTH": str(body_limit_bytes() + 1),
    }


@pytest.mark.usefixtures("never_parsed")
def test_the_screens_upload_refuses_a_declared_oversize_body_with_our_413_page(org):
    client = Client(raise_request_exception=False)
    client.force_login(org.zaisei_staff.user, backend=LOCAL_BACKEND)
    body = b"--BoUnDaRy\r\n" + b"x" * 4096

    response = client.generic("POST", "/records/upload/", body, **_oversize_multipart())

    assert response.status_code == 413
    html = response.content.decode()
    assert 'class="site-header"' in html  # our layout, not Django's bare page
    assert "1000" in html  # names the limit
    assert Document.objects.count() == 0


@pytest.mark.usefixtures("never_parsed")
@pytest.mark.parametrize("path", UPLOAD_PATHS)
def test_every_upload_path_refuses_before_parsing(org, path):
    client = APIClient(raise_request_exception=False)
    client.force_login(org.zaisei_staff.user, backend=LOCAL_BACKEND)

    response = client.generic("POST", path, b"--BoUnDaRy\r\n", **_oversize_multipart())

    assert response.status_code == 413
    if path.startswith("/api/"):
        assert response["Content-Type"].startswith("application/json")
        assert response.json()["detail"]
    assert Document.objects.count() == 0


def test_a_body_within_the_limit_goes_on_to_the_view(org):
    client = Client(raise_request_exception=False)
    client.force_login(org.zaisei_staff.user, backend=LOCAL_BACKEND)

    response = client.post("/records/upload/", {"title": "資料"})

    assert response.status_code != 413


class _Peer:
    """An ASGI client sending ``total`` bytes in chunks; counts what the server took."""

    def __init__(self, total: int, chunk: int = 64 * 1024) -> None:
        self.left, self.chunk, self.taken, self.sent = total, chunk, 0, []

    async def receive(self):
        await asyncio.sleep(0)
        if self.left <= 0:
            await asyncio.sleep(3600)  # the client waits for the answer
        size = min(self.chunk, self.left)
        self.left -= size
        self.taken += size
        return {"type": "http.request", "body": b"x" * size, "more_body": self.left > 0}

    async def send(self, message):
        self.sent.append(message)

    def status(self) -> int:
        return next(m["status"] for m in self.sent if m["type"] == "http.response.start")


def _scope(headers: list[tuple[bytes, bytes]]) -> dict:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api/v1/documents/",
        "raw_path": b"/api/v1/documents/",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1"), *headers],
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8000),
    }


def _serve(scope: dict, peer: _Peer) -> None:
    from config.asgi import application

    asyncio.run(asyncio.wait_for(application(scope, peer.receive, peer.send), 30))


@pytest.mark.django_db(transaction=True)
def test_under_asgi_a_declared_oversize_body_is_not_read_at_all():
    peer = _Peer(total=body_limit_bytes() * 20)
    scope = _scope(
        [
            (b"content-type", b"multipart/form-data; boundary=BoUnDaRy"),
            (b"content-length", str(peer.left).encode()),
        ]
    )

    _serve(scope, peer)

    assert peer.status() == 413
    assert peer.taken <= peer.chunk  # at most what the disconnect listener drops


@pytest.mark.django_db(transaction=True)
def test_under_asgi_a_chunked_body_is_read_only_up_to_the_limit():
    peer = _Peer(total=body_limit_bytes() * 20)
    scope = _scope([(b"content-type", b"multipart/form-data; boundary=BoUnDaRy")])

    _serve(scope, peer)

    assert peer.status() == 413
    assert peer.taken <= body_limit_bytes() + 2 * peer.chunk


@pytest.mark.django_db(transaction=True)
def test_the_guard_passes_a_small_body_through_unchanged():
    seen = []

    async def app(scope, receive, send):
        while True:
            message = await receive()
            seen.append(message)
            if not message.get("more_body"):
                break

    peer = _Peer(total=3 * 1024, chunk=1024)
    scope = _scope([(b"content-length", b"3072")])

    asyncio.run(BodySizeGuard(app)(scope, peer.receive, peer.send))

    assert b"".join(m["body"] for m in seen) == b"x" * 3072
    assert "kairan.body_refused" not in scope
