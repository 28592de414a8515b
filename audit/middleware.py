"""The client's address for every event recorded while a request is served.

``ClientAddressMiddleware`` puts the request's address (``services.client_address_of``: the
peer, or X-Forwarded-For behind a trusted proxy) in a context variable for the duration of the
request; ``services.record`` uses it when the caller passes neither ``request`` nor
``client_address``. So every service records where an action came from without passing the
request down (workflow's ``audit_proposal``, documents, chat, council). Works for sync and
async views: asgiref copies the context into the thread that runs a sync view.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest

from audit.context import current_client_address
from audit.services import client_address_of


class ClientAddressMiddleware:
    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        if self.is_async:
            return self._acall(request)
        token = current_client_address.set(_address(request))
        try:
            return self.get_response(request)
        finally:
            current_client_address.reset(token)

    async def _acall(self, request: HttpRequest) -> Any:
        token = current_client_address.set(_address(request))
        try:
            response: Awaitable[Any] = self.get_response(request)
            return await response
        finally:
            current_client_address.reset(token)


def _address(request: HttpRequest) -> str | None:
    return client_address_of(request)
