"""The client's address of the request being served, for the events it records: set by
``audit.middleware.ClientAddressMiddleware``, read by ``audit.services.record``."""

from __future__ import annotations

from contextvars import ContextVar

current_client_address: ContextVar[str | None] = ContextVar("audit_client_address", default=None)
