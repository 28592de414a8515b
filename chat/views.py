"""Chat screens: one page (room list, messages, composer) driven by static/chat/chat.js over the
REST API and ``/ws/chat/``. Thin: the page carries only what the script needs to start."""

from __future__ import annotations

import json

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from audit.exceptions import NotFound
from chat import permissions, selectors


def _i18n() -> str:
    texts = {
        "connected": _("Connected"),
        "connecting": _("Connecting…"),
        "reconnecting": _("Connection lost. Reconnecting…"),
        "read": _("Read %(n)s"),
        "edited": _("Edited"),
        "deleted": _("This message was deleted."),
        "mandatory": _("Must read"),
        "left": _("You are no longer a member of this room."),
        "older": _("Loading older messages…"),
        "failed": _("Could not send. It will be retried."),
        "readers": _("Read by: %(names)s"),
        "approve": _("Approve"),
        "send_back": _("Send back"),
        "comment": _("Reason for sending back"),
        "done": _("Done."),
        "attachment": _("Attached file"),
        "reply": _("Reply"),
        "reply_to": _("In reply to #%(id)s"),
        "replying": _("Replying to #%(id)s"),
        "edit": _("Edit"),
        "delete": _("Delete"),
        "confirm_delete": _("Delete this message? Auditors keep the original."),
        "mark_mandatory": _("Mark as must-read"),
        "unread_n": _("%(n)s unread"),
        "file_record": _("File the thread as a record"),
        "filed": _("Filed as a record: %(title)s"),
        "file_failed": _("Could not file it as a record."),
    }
    # Escaped for a <script type="application/json"> block: no "</" can close it.
    return json.dumps(texts, ensure_ascii=False).replace("<", "\\u003c")


@login_required
def chat_home(request: HttpRequest, room_id: int | None = None) -> HttpResponse:
    room = None
    if room_id is not None:
        try:
            room = selectors.room_get_for_user(user=request.user, room_id=room_id)
        except NotFound:
            raise Http404 from None
    rooms = selectors.room_list_for_user(user=request.user)
    return render(
        request,
        "chat/home.html",
        {
            "rooms": rooms,
            "room": room,
            "room_title": selectors.room_title(room, request.user) if room else "",
            "username": request.user.get_username(),
            "i18n": _i18n(),
            "can_see_mandatory": permissions.can_mark_mandatory(request.user),
        },
    )


@login_required
def mandatory_dashboard(request: HttpRequest) -> HttpResponse:
    """必読: per 課, who has not read each must-read message; a reminder button per message."""
    from django.contrib import messages as flash
    from django.core.exceptions import PermissionDenied
    from django.shortcuts import redirect

    from audit.exceptions import PermissionRefused
    from chat.mandatory import mandatory_remind, mandatory_status_for

    try:
        if request.method == "POST":
            try:
                message_id = int(request.POST.get("message", ""))
            except ValueError:
                raise Http404 from None
            try:
                n = mandatory_remind(actor=request.user, message_id=message_id)
            except NotFound:
                raise Http404 from None
            flash.success(request, _("Reminders sent: %(n)d") % {"n": n})
            return redirect("chat-mandatory")
        rows = mandatory_status_for(user=request.user)
    except PermissionRefused as exc:
        raise PermissionDenied(exc.message) from None
    return render(request, "chat/mandatory.html", {"rows": rows})
