"""Who is on the other end of a WebSocket: the session cookie (Channels' AuthMiddlewareStack put
the user in ``scope["user"]``), or ``?token=<t>`` for clients without a browser session.

One function, so that the shared ``realtime/`` app can take it over when it lands.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from django.contrib.auth.models import AnonymousUser


def query_params(scope: dict) -> dict[str, str]:
    raw = scope.get("query_string", b"").decode("latin-1")
    return {key: values[-1] for key, values in parse_qs(raw).items() if values}


@database_sync_to_async
def _user_for_token(key: str) -> Any:
    from rest_framework.authtoken.models import Token

    token = Token.objects.select_related("user").filter(key=key).first()
    if token is None or not token.user.is_active:
        return AnonymousUser()
    return token.user


async def websocket_user(scope: dict) -> Any:
    """The signed-in user of this connection, or AnonymousUser."""
    user = scope.get("user")
    if user is not None and getattr(user, "is_authenticated", False) and user.is_active:
        return user
    token = query_params(scope).get("token", "")
    if token and len(token) <= 128:
        return await _user_for_token(token)
    return AnonymousUser()
