"""The secretariat console's forms for sessions (定例会/臨時会), a meeting's session and its agenda
(議案第N号, 報告, 請願 …). POST only; thin: the services check, write and audit. Anyone but the
secretariat gets 403; bad input comes back to the page as a message.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from audit.exceptions import KairanError, NotFound
from council import permissions, selectors, services


def _secretariat(request: HttpRequest) -> None:
    if not permissions.can_manage(request.user):
        raise PermissionDenied


def _get(fn: Callable[..., Any], **kwargs: Any) -> Any:
    try:
        return fn(**kwargs)
    except NotFound as exc:
        raise Http404 from exc


def _attempt(request: HttpRequest, work: Callable[[], Any], done: str) -> Any:
    """Run a service; its refusal comes back as an error message on the page."""
    try:
        result = work()
    except KairanError as exc:
        messages.error(request, str(exc))
        return None
    messages.success(request, done)
    return result


@login_required
@require_POST
def session_create(request: HttpRequest) -> HttpResponse:
    _secretariat(request)
    _attempt(
        request,
        lambda: services.session_create(
            actor=request.user,
            name=request.POST.get("name"),
            kind=request.POST.get("kind") or "regular",
            starts_on=request.POST.get("starts_on") or None,
            request=request,
        ),
        _("The session was created."),
    )
    return redirect("council")


@login_required
@require_POST
def meeting_session(request: HttpRequest, meeting_id: int) -> HttpResponse:
    _secretariat(request)
    meeting = _get(selectors.meeting_get, user=request.user, meeting_id=meeting_id)
    _attempt(
        request,
        lambda: services.meeting_set_session(
            actor=request.user,
            meeting=meeting,
            session=request.POST.get("session") or None,
            request=request,
        ),
        _("The meeting's session was changed."),
    )
    return redirect("council:meeting", meeting.pk)


@login_required
@require_POST
def agenda_add(request: HttpRequest, meeting_id: int) -> HttpResponse:
    _secretariat(request)
    meeting = _get(selectors.meeting_get, user=request.user, meeting_id=meeting_id)
    _attempt(
        request,
        lambda: services.agenda_item_add(
            actor=request.user,
            meeting=meeting,
            title=request.POST.get("title"),
            kind=request.POST.get("kind") or "other",
            number=request.POST.get("number") or "",
            request=request,
        ),
        _("The agenda item was added."),
    )
    return redirect(_agenda_anchor(meeting.pk))


@login_required
@require_POST
def agenda_update(request: HttpRequest, item_id: int) -> HttpResponse:
    _secretariat(request)
    item = _get(selectors.agenda_item_get, user=request.user, item_id=item_id)
    _attempt(
        request,
        lambda: services.agenda_item_update(
            actor=request.user,
            item=item,
            title=request.POST.get("title"),
            kind=request.POST.get("kind") or "other",
            number=request.POST.get("number") or "",
            request=request,
        ),
        _("The agenda item was saved."),
    )
    return redirect(_agenda_anchor(item.meeting_id))


@login_required
@require_POST
def agenda_delete(request: HttpRequest, item_id: int) -> HttpResponse:
    _secretariat(request)
    item = _get(selectors.agenda_item_get, user=request.user, item_id=item_id)
    _attempt(
        request,
        lambda: services.agenda_item_delete(actor=request.user, item=item, request=request),
        _("The agenda item was removed."),
    )
    return redirect(_agenda_anchor(item.meeting_id))


@login_required
@require_POST
def agenda_move(request: HttpRequest, item_id: int) -> HttpResponse:
    _secretariat(request)
    item = _get(selectors.agenda_item_get, user=request.user, item_id=item_id)
    try:
        services.agenda_item_move(
            actor=request.user,
            item=item,
            direction=request.POST.get("direction"),
            request=request,
        )
    except KairanError as exc:
        messages.error(request, str(exc))
    return redirect(_agenda_anchor(item.meeting_id))


def _agenda_anchor(meeting_id: int) -> str:
    from django.urls import reverse

    return reverse("council:meeting", args=[meeting_id]) + "#agenda-title"
