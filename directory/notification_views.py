"""The signed-in person's notifications: the list (/notifications/) and marking them read."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from audit.validators import as_db_id
from directory.notifications import notifications_for, notifications_mark_read
from directory.selectors import person_for_user


def _me(request: HttpRequest):
    person = person_for_user(request.user)
    if person is None:
        raise Http404
    return person


@login_required
@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    person = _me(request)
    return render(
        request,
        "directory/notifications.html",
        {"notifications": notifications_for(person, limit=100)},
    )


@login_required
@require_POST
def notifications_read(request: HttpRequest) -> HttpResponse:
    """POST ``id`` (one or more) or ``all=1``: mark my notifications read; back to the list,
    or on to ``next`` (the notification's own link)."""
    person = _me(request)
    ids = [i for i in map(as_db_id, request.POST.getlist("id")) if i is not None]
    notifications_mark_read(person=person, ids=ids, all=request.POST.get("all") == "1")
    target = request.POST.get("next", "")
    if target.startswith("/") and not target.startswith("//"):
        return redirect(target)
    return redirect("notifications")
