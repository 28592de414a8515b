"""Request guards of the whole site.

``BadInputMiddleware``: bad input that got past a screen's (non-DRF) view as an exception Django
itself does not map: a number the database cannot hold (OverflowError on SQLite, DataError on
PostgreSQL), input nested too deep, a model's ValidationError. It is the client's doing, so 400
— our page, or JSON under /api/ — instead of a 500. DRF's views have config.exceptions for the
same.

``BodySizeGuard`` (ASGI) and ``BodySizeMiddleware`` (Django): a body larger than any upload may
be is refused before it is stored or parsed, on every path (records, attachments, council
materials, chat files), answering 413 — JSON under /api/, our page elsewhere.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from django.core.exceptions import ValidationError
from django.db import DataError
from django.http import HttpRequest, HttpResponse
from django.utils.deprecation import MiddlewareMixin

from config import errors
from config.exceptions import error_status_and_message
from documents import validation
from documents.api.uploads import MULTIPART_SLACK_BYTES

logger = logging.getLogger(__name__)

_BAD_INPUT = (DataError, OverflowError, RecursionError, ValidationError)


class BadInputMiddleware(MiddlewareMixin):
    """Only a process_exception hook; MiddlewareMixin keeps the chain async under ASGI."""

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, _BAD_INPUT):
            return None
        known = error_status_and_message(exception)
        if known is None:  # pragma: no cover - every _BAD_INPUT type has a mapping
            return None
        logger.warning(
            "Request refused as bad input: %s %s", request.path, exception, exc_info=True
        )
        return errors.bad_input(request, *known)


# Set on the ASGI scope by BodySizeGuard when it stopped reading a body; read by the middleware.
BODY_REFUSED_KEY = "kairan.body_refused"


def body_limit_bytes() -> int:
    """The largest body any request may carry: the upload limit plus multipart's overhead."""
    return validation.max_upload_bytes() + MULTIPART_SLACK_BYTES


def _declared_length(raw: bytes | str | None) -> int | None:
    if not raw:
        return None
    text = raw.decode("latin-1") if isinstance(raw, bytes) else raw
    text = text.strip()
    # Compared as text first: int() of a very long string is refused by Python (and slow).
    if not (text.isascii() and text.isdigit()) or len(text) > 20:
        return None
    return int(text)


class BodySizeGuard:
    """ASGI wrapper around Django's HTTP application. Django's ASGI handler reads the whole body
    into a temporary file before any middleware runs, so the size must be checked here: a body
    whose Content-Length is over the limit is not read at all, a body without one (chunked) is
    read only up to the limit. Django then gets an empty body and the mark
    ``BODY_REFUSED_KEY``, on which ``BodySizeMiddleware`` answers 413."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        scope = dict(scope)
        limit = body_limit_bytes()
        headers = dict(scope.get("headers") or [])
        declared = _declared_length(headers.get(b"content-length"))
        received = 0

        async def guarded_receive() -> dict[str, Any]:
            nonlocal received
            if scope.get(BODY_REFUSED_KEY):
                # Django listens for a disconnect after the body, and stops listening once the
                # (immediate) 413 is sent: nothing more of the refused body is read meanwhile.
                await asyncio.Event().wait()
            if declared is not None and declared > limit:
                return _refuse()
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    return _refuse()
            return message

        def _refuse() -> dict[str, Any]:
            scope[BODY_REFUSED_KEY] = True
            return {"type": "http.request", "body": b"", "more_body": False}

        await self.app(scope, guarded_receive, send)


class BodySizeMiddleware(MiddlewareMixin):
    """413 for a body over ``body_limit_bytes()`` before anything parses it (the CSRF check
    reads a form's body in process_view, after every process_request): from the guard's mark
    under ASGI, from Content-Length otherwise (the test client, a WSGI server)."""

    def process_request(self, request: HttpRequest) -> HttpResponse | None:
        scope = getattr(request, "scope", None) or {}
        declared = _declared_length(request.META.get("CONTENT_LENGTH"))
        if not scope.get(BODY_REFUSED_KEY) and (declared is None or declared <= body_limit_bytes()):
            return None
        logger.warning("Request body refused as too large: %s %s", request.path, declared)
        # Nothing may read the (missing or unread) body after this: empty POST and FILES.
        request._mark_post_parse_error()  # type: ignore[attr-defined]
        return errors.too_large(request, str(validation.too_large().message))


# When the session's expiry was last renewed (seconds since the epoch).
SESSION_SEEN_KEY = "_kairan_seen"
# Renewing the expiry writes the session: at most once a minute, not on every request.
SESSION_RENEW_SECONDS = 60


class SessionIdleMiddleware(MiddlewareMixin):
    """The idle timeout (KAIRAN_SESSION_IDLE_MINUTES): a session expires SESSION_COOKIE_AGE
    (= the idle time) after it was last saved, and activity saves it again — so a session
    unused for the idle time is gone (Django's session store refuses it), one in use lives on."""

    def process_request(self, request: HttpRequest) -> None:
        session = getattr(request, "session", None)
        if session is None or session.session_key is None:
            return
        now = int(time.time())
        seen = session.get(SESSION_SEEN_KEY)
        if not isinstance(seen, int) or now - seen >= SESSION_RENEW_SECONDS:
            session[SESSION_SEEN_KEY] = now  # modified: saved with a new expiry on the way out
