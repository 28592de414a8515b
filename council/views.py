"""Screens of the council module: councilor home, meeting, the tablet reader, the secretariat
console (meetings, upload, 既読, present mode), TOTP enrolment. Thin: selectors and services.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from audit.exceptions import KairanError, NotFound, PermissionRefused
from council import permissions, selectors, services, totp
from council.models import AgendaItem, Committee, Councilor, Material, PageView

STATIC_DIR = Path(__file__).resolve().parent / "static" / "council"


def _council_user(request: HttpRequest) -> None:
    if not permissions.may_use_council(request.user):
        raise Http404


def _get(fn, **kwargs):
    try:
        return fn(**kwargs)
    except NotFound as exc:
        raise Http404 from exc


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Councilor: today's and upcoming meetings, unread and changed materials. Secretariat: the
    console (every meeting, a new meeting)."""
    if not permissions.may_use_council(request.user):
        return render(request, "council/not_council.html", status=200)
    services.materials_announce_due()
    now = timezone.now()
    today = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    meetings = selectors.meeting_list_visible(user=request.user)
    upcoming = meetings.filter(starts_at__gte=today).order_by("starts_at")[:20]
    past = meetings.filter(starts_at__lt=today).order_by("-starts_at")[:10]
    context = {
        "upcoming": upcoming,
        "past": past,
        "is_secretariat": permissions.is_secretariat(request.user),
        "committees": Committee.objects.all(),
    }
    if context["is_secretariat"]:
        context["sessions"] = _sessions_with_meetings(request.user)
    if not context["is_secretariat"]:  # a councilor or a named executive
        materials = list(
            selectors.material_list_visible(user=request.user).order_by("-publish_at")[:100]
        )
        read_ids = set(
            PageView.objects.filter(user=request.user, material__in=materials).values_list(
                "material_id", flat=True
            )
        )
        context["unread"] = [m for m in materials if m.pk not in read_ids]
        context["changed"] = [
            m for m in materials if m.current_version and m.current_version.number > 1
        ][:20]
    return render(request, "council/home.html", context)


def _sessions_with_meetings(user) -> list[tuple[Any, list[Any]]]:
    """The console's list: each session (newest first) with its meetings in order."""
    sessions = list(selectors.session_list_visible(user=user))
    meetings: dict[int, list[Any]] = {s.pk: [] for s in sessions}
    for meeting in selectors.meeting_list_visible(user=user).exclude(session=None):
        meetings.setdefault(meeting.session_id, []).append(meeting)
    return [(s, meetings[s.pk]) for s in sessions]


@login_required
def meeting_detail(request: HttpRequest, meeting_id: int) -> HttpResponse:
    _council_user(request)
    meeting = _get(selectors.meeting_get, user=request.user, meeting_id=meeting_id)
    materials = list(selectors.meeting_materials(user=request.user, meeting=meeting))
    is_secretariat = permissions.is_secretariat(request.user)
    status = {}
    if is_secretariat:
        from council.rendering import rendered_count

        for m in materials:
            status[m.pk] = selectors.read_status(material=m)
            version = m.current_version
            status[m.pk]["rendered"] = (
                rendered_count(sha256=version.pdf_sha256, pages=version.page_count)
                if version
                else 0
            )
    rows = [(m, status.get(m.pk)) for m in materials]
    return render(
        request,
        "council/meeting.html",
        {
            "meeting": meeting,
            "rows": rows,
            "is_secretariat": is_secretariat,
            "can_present": permissions.can_present(request.user),
            "now": timezone.now(),
            "committees": Committee.objects.all(),
            "sessions": selectors.session_list_visible(user=request.user) if is_secretariat else [],
            "agenda": list(meeting.agenda.all()),
            "agenda_kinds": AgendaItem.Kind.choices,
        },
    )


@login_required
@require_POST
def meeting_create(request: HttpRequest) -> HttpResponse:
    _council_user(request)
    try:
        meeting = services.meeting_create(
            actor=request.user,
            title=request.POST.get("title"),
            starts_at=request.POST.get("starts_at"),
            committee=request.POST.get("committee") or None,
            session=request.POST.get("session") or None,
            request=request,
        )
    except PermissionRefused as exc:
        raise Http404 from exc
    except KairanError as exc:
        messages.error(request, str(exc))
        return redirect("council")
    return redirect("council:meeting", meeting.pk)


@login_required
@require_POST
def material_upload(request: HttpRequest, meeting_id: int) -> HttpResponse:
    """The upload form's fallback without JavaScript (the page uploads to the API with progress)."""
    _council_user(request)
    meeting = _get(selectors.meeting_get, user=request.user, meeting_id=meeting_id)
    upload = request.FILES.get("file")
    try:
        if upload is None:
            raise KairanError(_("A file is required."))
        services.material_upload(
            actor=request.user,
            meeting=meeting,
            title=request.POST.get("title"),
            content=upload,
            name=upload.name,
            size_bytes=upload.size,
            publish_at=request.POST.get("publish_at"),
            audience=_form_audience(request.POST),
            request=request,
        )
    except PermissionRefused as exc:
        raise Http404 from exc
    except KairanError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The material was uploaded."))
    return redirect("council:meeting", meeting.pk)


def _form_audience(post) -> str:
    """The form's audience in the API's spelling (named executives from the user-name field)."""
    audience = post.get("audience") or "all"
    if audience != "people":
        return audience
    import re

    names = [n for n in re.split(r"[\s,、，]+", post.get("people") or "") if n]
    return ",".join(f"person:{name}" for name in names) or "person:"


@login_required
def read_status(request: HttpRequest, material_id: int) -> HttpResponse:
    _council_user(request)
    if not permissions.can_manage(request.user):
        raise Http404
    material = _get(selectors.material_get, user=request.user, material_id=material_id)
    return render(
        request,
        "council/read_status.html",
        {"material": material, "status": selectors.read_status(material=material)},
    )


@login_required
def reader(request: HttpRequest, material_id: int) -> HttpResponse:
    """The tablet reader: a small page of our own JavaScript (static/council/reader.js)."""
    _council_user(request)
    material = _get(selectors.material_get, user=request.user, material_id=material_id)
    version = material.current_version
    meeting_materials = selectors.meeting_materials(user=request.user, meeting=material.meeting)
    can_present = permissions.can_present(request.user)
    config = {
        "material": material.pk,
        "meeting": material.meeting_id,
        "pages": version.page_count,
        "version": version.number,
        "changedPages": version.changed_pages,
        "api": f"/api/v1/council/materials/{material.pk}/",
        "meetingApi": f"/api/v1/council/meetings/{material.meeting_id}/",
        "ws": f"/ws/council/meetings/{material.meeting_id}/",
        "readerUrl": "/council/materials/",
        "canPresent": can_present,
        "present": bool(can_present and request.GET.get("present")),
        "text": {
            "following": _("Following the presenter"),
            "away": _("Back to the presenter's page"),
            "followers": _("%(n)s following"),
            "saved": _("Saved"),
            "pending": _("Saved on this tablet; will be sent when online"),
            "conflict": _(
                "A newer version of this page's notes is already stored; yours was kept "
                "with the notes that could not be placed."
            ),
            "noHits": _("Nothing found."),
            "page": _("Page %(n)s"),
            "failed": _("Could not save"),
            "offlineSaving": _("Keeping the meeting's materials on this tablet…"),
            "offlineSaved": _("The meeting's materials can now be read offline."),
        },
    }
    return render(
        request,
        "council/reader.html",
        {
            "material": material,
            "version": version,
            "meeting": material.meeting,
            "siblings": meeting_materials,
            "can_present": can_present,
            "reader_config": config,
        },
    )


@login_required
def present(request: HttpRequest, meeting_id: int) -> HttpResponse:
    _council_user(request)
    if not permissions.can_present(request.user):
        raise Http404
    meeting = _get(selectors.meeting_get, user=request.user, meeting_id=meeting_id)
    materials = selectors.meeting_materials(user=request.user, meeting=meeting)
    first = materials.first()
    if first is None:
        messages.error(request, _("This meeting has no material to present yet."))
        return redirect("council:meeting", meeting.pk)
    material_id = request.GET.get("material")
    material = materials.filter(pk=material_id).first() if material_id else None
    return redirect(f"{_reverse('council:reader', (material or first).pk)}?present=1")


def _reverse(name: str, pk: int) -> str:
    from django.urls import reverse

    return reverse(name, args=[pk])


@login_required
@require_http_methods(["GET", "POST"])
def totp_enrol(request: HttpRequest) -> HttpResponse:
    """Enrol a TOTP device from a QR code (councilors)."""
    if not totp.is_councilor_user(request.user):
        raise Http404
    error = ""
    if request.method == "POST":
        try:
            totp.enrolment_confirm(user=request.user, code=request.POST.get("otp"), request=request)
        except KairanError as exc:
            error = str(exc)
        else:
            messages.success(request, _("Your device is enrolled. Sign-in now asks for its code."))
            return redirect("council")
    device = totp.pending_device(request.user)
    if device is None or request.GET.get("restart"):
        device = totp.enrolment_start(user=request.user)
    uri = totp.provisioning_uri(device)
    return render(
        request,
        "council/totp_enrol.html",
        {
            "qr_svg": totp.qr_svg(uri),
            "secret": totp.secret_base32(device),
            "uri": uri,
            "error": error,
            "has_device": totp.has_device(request.user),
        },
        status=400 if error else 200,
    )


@login_required
def councilor_list(request: HttpRequest) -> HttpResponse:
    _council_user(request)
    if not permissions.can_manage(request.user):
        raise Http404
    from django_otp.plugins.otp_totp.models import TOTPDevice

    councilors = Councilor.objects.select_related("person__user").prefetch_related("committees")
    enrolled = set(TOTPDevice.objects.filter(confirmed=True).values_list("user_id", flat=True))
    rows = [(c, c.person.user_id in enrolled) for c in councilors]
    return render(request, "council/councilors.html", {"rows": rows})


@login_required
@require_POST
def totp_reset(request: HttpRequest, councilor_id: int) -> HttpResponse:
    _council_user(request)
    councilor = Councilor.objects.filter(pk=councilor_id).first()
    if councilor is None or not permissions.can_manage(request.user):
        raise Http404
    services.totp_reset(actor=request.user, councilor=councilor, request=request)
    messages.success(
        request, _("The device of %(name)s was reset.") % {"name": councilor.person.display_name}
    )
    return redirect("council:councilors")


def service_worker(request: HttpRequest) -> HttpResponse:
    """The offline worker, served under /council/ so that its scope covers the reader."""
    response = HttpResponse(
        (STATIC_DIR / "sw.js").read_bytes(), content_type="application/javascript"
    )
    response["Service-Worker-Allowed"] = "/"
    response["Cache-Control"] = "no-cache"
    return response


__all__ = ["Material"]
