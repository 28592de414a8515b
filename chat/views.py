"""Chat screens: one page (room list, messages, composer) driven by static/chat/chat.js over the
REST API and ``/ws/chat/``. Thin: the page carries only what the script needs to start."""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from audit.exceptions import KairanError, NotFound
from chat import permissions, selectors
from chat.models import Room


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
            "can_manage_records": permissions.can_manage_records(request.user),
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


# --- chat as records (auditors) -----------------------------------------------------------------


def _records_context(request: HttpRequest, **forms: Any) -> dict[str, Any]:
    from chat.forms import ExportForm, LegalHoldForm
    from chat.holds import legal_holds_for, people_for_records, rooms_for_records
    from chat.records import messages_purge, retention_days

    rooms = [(r.pk, _room_label(r)) for r in rooms_for_records()]
    days = retention_days()
    return {
        "export_form": forms.get("export_form") or ExportForm(prefix="export", rooms=rooms),
        "hold_form": forms.get("hold_form") or LegalHoldForm(prefix="hold", rooms=rooms),
        "holds": legal_holds_for(user=request.user),
        "retention": [(label, days.get(kind, 0)) for kind, label in Room.Kind.choices],
        "purge_due": messages_purge(dry_run=True)["messages"],
        "rooms": rooms,
        "people": people_for_records(),
    }


def _room_label(room: Room) -> str:
    kind = _("Unit room") if room.kind == Room.Kind.UNIT else _("Group room")
    return f"{room.name}（{kind}）"


def _refuse_unless_records_manager(request: HttpRequest) -> None:
    from django.core.exceptions import PermissionDenied

    if not permissions.can_manage_records(request.user):
        raise PermissionDenied(_("Only auditors may manage chat records."))


@login_required
def records_page(request: HttpRequest) -> HttpResponse:
    """Chat as records: the compliance export, legal holds (place, release) and the retention
    periods with what the next purge would delete. Auditors only (403)."""
    from django.contrib import messages as flash
    from django.shortcuts import redirect

    from chat.forms import LegalHoldForm
    from chat.holds import legal_hold_place, rooms_for_records

    _refuse_unless_records_manager(request)
    if request.method == "POST":
        rooms = [(r.pk, _room_label(r)) for r in rooms_for_records()]
        form = LegalHoldForm(request.POST, prefix="hold", rooms=rooms)
        if form.is_valid():
            try:
                hold = legal_hold_place(
                    actor=request.user, reason=form.cleaned_data["reason"], **form.criteria()
                )
            except KairanError as exc:
                form.add_error(None, exc.message)
            else:
                placed = _("The legal hold was placed (No. %(id)s).") % {"id": hold.pk}
                flash.success(request, placed)
                return redirect("chat-records")
        context = _records_context(request, hold_form=form)
        return render(request, "chat/records.html", context, status=400)
    return render(request, "chat/records.html", _records_context(request))


@login_required
def records_export(request: HttpRequest) -> HttpResponse:
    """The compliance export as a download (CSV or JSON); the page again with the errors."""
    from django.http import JsonResponse

    from chat.forms import ExportForm
    from chat.holds import rooms_for_records
    from chat.records import compliance_export, export_csv

    _refuse_unless_records_manager(request)
    rooms = [(r.pk, _room_label(r)) for r in rooms_for_records()]
    form = ExportForm(request.GET, prefix="export", rooms=rooms)
    if form.is_valid():
        try:
            rows = compliance_export(actor=request.user, **form.criteria())
        except KairanError as exc:
            form.add_error(None, exc.message)
        else:
            if form.cleaned_data["output"] == "json":
                response: HttpResponse = JsonResponse(
                    {"count": len(rows), "messages": rows},
                    json_dumps_params={"ensure_ascii": False, "indent": 1},
                )
                name = "chat-export.json"
            else:
                # With a BOM, so a spreadsheet opens the Japanese text as UTF-8.
                response = HttpResponse(
                    "\ufeff" + export_csv(rows), content_type="text/csv; charset=utf-8"
                )
                name = "chat-export.csv"
            response["Content-Disposition"] = f'attachment; filename="{name}"'
            response["Cache-Control"] = "private, no-store"
            return response
    context = _records_context(request, export_form=form)
    return render(request, "chat/records.html", context, status=400)


@login_required
def legal_hold_release_view(request: HttpRequest, hold_id: int) -> HttpResponse:
    from django.contrib import messages as flash
    from django.shortcuts import redirect

    from chat.holds import legal_hold_release

    _refuse_unless_records_manager(request)
    if request.method != "POST":
        from django.http import HttpResponseNotAllowed

        return HttpResponseNotAllowed(["POST"])
    try:
        legal_hold_release(actor=request.user, hold_id=hold_id)
    except NotFound:
        raise Http404 from None
    except KairanError as exc:
        flash.error(request, exc.message)
    else:
        flash.success(request, _("The legal hold was released."))
    return redirect("chat-records")
