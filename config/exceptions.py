"""One DRF exception handler: domain errors of every app become {"detail": ...} with a status.

Beyond DRF's own exceptions and the domain errors it is the API's net: bad input that got past
the edge (a number the database cannot hold, JSON nested too deep, a body over the size limit)
is a 400 or 413, and anything unexpected a 500 — always JSON, never a trace (that goes to the log).
"""

from __future__ import annotations

import logging
from typing import Any

from django.core import exceptions as django_exceptions
from django.db import DataError
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler, set_rollback

from audit.exceptions import KairanError

logger = logging.getLogger(__name__)

_BODY_REFUSED = (
    django_exceptions.RequestDataTooBig,
    django_exceptions.TooManyFieldsSent,
    django_exceptions.TooManyFilesSent,
)


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, KairanError):
        return Response({"detail": str(exc.message)}, status=exc.status_code)
    response = exception_handler(exc, context)
    if response is None:
        return _unhandled(exc, context)
    if isinstance(response.data, dict) and "detail" not in response.data:
        # Field errors keep their detail per field but always carry a top-level "detail" too.
        response.data = {"detail": _first_message(response.data), "errors": response.data}
    elif isinstance(response.data, list):
        response.data = {"detail": _first_message(response.data)}
    if response.status_code == status.HTTP_401_UNAUTHORIZED:
        response.data = {"detail": str(response.data.get("detail", ""))}
    return response


def error_status_and_message(exc: BaseException | None) -> tuple[int, str] | None:
    """The status and user-facing message for an exception that is the client's doing, or None.

    Shared with the page handlers (config.errors), so the API and the screens agree.
    """
    if isinstance(exc, django_exceptions.RequestDataTooBig):
        return status.HTTP_413_REQUEST_ENTITY_TOO_LARGE, _("The request is too large.")
    if isinstance(exc, (django_exceptions.TooManyFieldsSent, django_exceptions.TooManyFilesSent)):
        return status.HTTP_400_BAD_REQUEST, _("The request has too many fields.")
    if isinstance(exc, django_exceptions.SuspiciousOperation):
        # Its text is meant for the security log, not for the client.
        return status.HTTP_400_BAD_REQUEST, _("The request could not be processed.")
    if isinstance(exc, django_exceptions.BadRequest):
        return status.HTTP_400_BAD_REQUEST, str(exc) or _("The request could not be processed.")
    if isinstance(exc, django_exceptions.ValidationError):
        return status.HTTP_400_BAD_REQUEST, _first_message(exc.messages)
    if isinstance(exc, (DataError, OverflowError)):
        return status.HTTP_400_BAD_REQUEST, _(
            "A value in the request is outside the range that can be stored."
        )
    if isinstance(exc, RecursionError):
        return status.HTTP_400_BAD_REQUEST, _("The request is nested too deeply.")
    return None


def server_error_message() -> str:
    return _(
        "Something went wrong on the server. Please try again later; if it happens again, "
        "tell the system administrator."
    )


def _unhandled(exc: Exception, context: dict[str, Any]) -> Response:
    request = context.get("request")
    path = getattr(request, "path", "")
    known = error_status_and_message(exc)
    if known is not None:
        code, message = known
        logger.warning("API request refused (%s): %s %s", code, path, exc, exc_info=exc)
        if isinstance(exc, _BODY_REFUSED) and request is not None:
            # As Django does: reading the body again must not raise a second time.
            getattr(request, "_request", request)._mark_post_parse_error()
    else:
        code, message = status.HTTP_500_INTERNAL_SERVER_ERROR, server_error_message()
        logger.exception("API request failed: %s", path, exc_info=exc)
    # A write already begun in this request (ATOMIC_REQUESTS) must not be committed.
    set_rollback()
    return Response({"detail": message}, status=code)


def _first_message(data: Any) -> str:
    if isinstance(data, dict):
        for key, value in data.items():
            msg = _first_message(value)
            return msg if key in {"non_field_errors", "detail"} else f"{key}: {msg}"
    if isinstance(data, list) and data:
        return _first_message(data[0])
    return str(data)
