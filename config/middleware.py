"""Bad input that got past a screen's (non-DRF) view as an exception Django itself does not map:
a number the database cannot hold (OverflowError on SQLite, DataError on PostgreSQL), input
nested too deep, a model's ValidationError. It is the client's doing, so 400 — our page, or
JSON under /api/ — instead of a 500. DRF's views have config.exceptions for the same."""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError
from django.db import DataError
from django.http import HttpRequest, HttpResponse
from django.utils.deprecation import MiddlewareMixin

from config import errors
from config.exceptions import error_status_and_message

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
