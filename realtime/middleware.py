"""WebSocket entry: origin check and authentication (session cookie, or ``?token=``).

``realtime_stack(inner)`` wraps a URL router: a browser's cross-site origin is refused before
anything else; then the user comes from ``?token=<DRF token>`` (or an ``Authorization: Token``
header) when one is given, otherwise from the session cookie. An unknown token, or an inactive
user either way, leaves the scope's user anonymous — consumers refuse anonymous connections.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlparse

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http.request import validate_host


def _header(scope: dict[str, Any], name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin1")
    return None


def origin_allowed(origin: str | None) -> bool:
    """No Origin header (a non-browser client) is allowed: cross-site hijacking needs a browser,
    and browsers always send one. Otherwise the origin's host must be one of ALLOWED_HOSTS or the
    origin one of CSRF_TRUSTED_ORIGINS."""
    if origin is None:
        return True
    if origin in getattr(settings, "CSRF_TRUSTED_ORIGINS", []):
        return True
    parsed = urlparse(origin)
    if parsed.scheme not in {"http", "https"} or not parsed.hostname:
        return False
    allowed = list(settings.ALLOWED_HOSTS)
    if settings.DEBUG and not allowed:
        allowed = [".localhost", "127.0.0.1", "[::1]"]
    return validate_host(parsed.hostname, allowed)


class OriginCheckMiddleware(BaseMiddleware):
    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket" and not origin_allowed(_header(scope, b"origin")):
            await receive()  # the connect message
            await send({"type": "websocket.close", "code": 4403})
            return None
        return await super().__call__(scope, receive, send)


@database_sync_to_async
def user_for_token(key: str) -> Any:
    """The user of an API token, checked by the project's own token authentication class (DRF
    settings: e.g. expiry), so a key the REST API refuses is refused here too."""
    from rest_framework import exceptions
    from rest_framework.authentication import TokenAuthentication
    from rest_framework.settings import api_settings

    classes = [
        c for c in api_settings.DEFAULT_AUTHENTICATION_CLASSES if issubclass(c, TokenAuthentication)
    ] or [TokenAuthentication]
    try:
        user, _token = classes[0]().authenticate_credentials(key)
    except exceptions.AuthenticationFailed:
        return AnonymousUser()
    return user if user.is_active else AnonymousUser()


def token_of(scope: dict[str, Any]) -> str | None:
    query = parse_qs(scope.get("query_string", b"").decode("latin1"))
    if values := query.get("token"):
        return values[0]
    header = _header(scope, b"authorization")
    if header and header.startswith("Token "):
        return header[len("Token ") :].strip()
    return None


class TokenAuthMiddleware(BaseMiddleware):
    """Runs inside channels' AuthMiddlewareStack: a token, when given, decides the user."""

    async def __call__(self, scope, receive, send):
        key = token_of(scope)
        if key is not None:
            scope = dict(scope, user=await user_for_token(key[:100]))
        return await super().__call__(scope, receive, send)


def realtime_stack(inner: Any) -> Any:
    return OriginCheckMiddleware(AuthMiddlewareStack(TokenAuthMiddleware(inner)))
