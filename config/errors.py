"""The error answers outside DRF's views: handler400/403/404/500 of config/urls.py.

Paths under /api/ answer JSON ``{"detail": ...}`` as the API does everywhere (CONTRACT.md);
pages answer with our own templates (templates/400.html …) in the base layout — never a
package's error page (viewflow ships a 404.html of its own) and never a trace.
"""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.utils.html import escape
from django.utils.translation import gettext as _

from config.exceptions import error_status_and_message, server_error_message

logger = logging.getLogger(__name__)

API_PREFIX = "/api/"


def is_api_request(request: HttpRequest) -> bool:
    return request.path_info.startswith(API_PREFIX)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """400, or 413 when the body was over DATA_UPLOAD_MAX_MEMORY_SIZE."""
    code, message = error_status_and_message(exception) or (
        400,
        _("The request could not be processed."),
    )
    if code == 413:
        title = _("The request is too large")
    else:
        title = _("The request could not be processed")
    return _answer(request, code, "400.html", title=title, message=message)


def bad_input(request: HttpRequest, code: int, message: str) -> HttpResponse:
    """A 400 for bad input a view let through (config.middleware)."""
    return _answer(
        request, code, "400.html", title=_("The request could not be processed"), message=message
    )


def too_large(request: HttpRequest, message: str) -> HttpResponse:
    """413 for a body refused before it was read (config.middleware.BodySizeMiddleware)."""
    return _answer(request, 413, "400.html", title=_("The request is too large"), message=message)


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    # A PermissionDenied raised by our views carries the service's reason, meant for the user.
    reason = str(exception) if isinstance(exception, PermissionDenied) else ""
    message = reason or _("You do not have permission to access this page.")
    return _answer(request, 403, "403.html", title=_("Access denied"), message=message)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    # Http404's text is not shown: the resolver's names the URL patterns tried.
    return _answer(request, 404, "404.html", title=_("Page not found"), message=_("Not found."))


def server_error(request: HttpRequest) -> HttpResponse:
    """500. Rendered without the request's context (as Django does): whatever failed, a
    database or a context processor, must not fail the error page too."""
    message = server_error_message()
    if is_api_request(request):
        return _json(500, message)
    context = {"title": _("A problem occurred on the server"), "message": message}
    html: str
    try:
        html = loader.render_to_string("500.html", context)
    except Exception:
        logger.exception("The 500 page could not be rendered")
        html = (
            f'<!doctype html><html lang="ja"><meta charset="utf-8">'
            f"<title>{escape(context['title'])}</title>"
            f"<h1>{escape(context['title'])}</h1><p>{escape(message)}</p></html>"
        )
    return HttpResponse(html, status=500)


def _answer(
    request: HttpRequest, code: int, template: str, *, title: str, message: str
) -> HttpResponse:
    if is_api_request(request):
        return _json(code, message)
    context = {"title": title, "message": message}
    try:
        html = loader.render_to_string(template, context, request=request)
    except Exception:
        # The layout needs the database (the header's person); without it, the plain page.
        logger.exception("The %s page could not be rendered with the request", code)
        html = loader.render_to_string(template, context)
    return HttpResponse(html, status=code)


def _json(code: int, message: str) -> JsonResponse:
    return JsonResponse(
        {"detail": str(message)}, status=code, json_dumps_params={"ensure_ascii": False}
    )
