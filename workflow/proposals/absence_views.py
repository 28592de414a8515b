"""不在の登録 (absences): mine, and — for the head of a 課 — my members'. An absence with a
deputy sets up the 代決 for its period (``directory.absences``). Thin: parse, call, render."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from audit.exceptions import KairanError, ValidationFailed
from directory import absences as directory_absences
from directory import selectors as directory_selectors
from directory.models import Absence
from directory.selectors import division_members_for_head, person_for_user
from workflow.proposals.forms import AbsenceForm


def deputy_username_from(typed: str) -> str:
    """The deputy as typed on the screen: a user name, or a name (「近藤」) naming one person."""
    typed = typed.strip()
    matches = directory_selectors.staff_matching(typed)
    if any(person.user.get_username() == typed for person in matches) or not matches:
        return typed  # a user name, or nobody: the service explains
    if len(matches) == 1:
        return matches[0].user.get_username()
    names = "、".join(f"{p.display_name}（{p.user.get_username()}）" for p in matches[:5])
    raise ValidationFailed(
        _("Several people match “%(typed)s”: %(names)s. Choose one from the list.")
        % {"typed": typed, "names": names}
    )


@require_http_methods(["GET", "POST"])
@login_required
def absence_list(request: HttpRequest) -> HttpResponse:
    me = person_for_user(request.user)
    if me is None:
        raise Http404
    members = division_members_for_head(me)
    people = {p.pk: p for p in [me, *members]}
    choices = [(me.pk, _("Me (%(name)s)") % {"name": me.display_name})]
    choices += [(p.pk, p.display_name) for p in members]
    start = timezone.localtime().replace(hour=8, minute=30, second=0, microsecond=0)
    initial = {"person": me.pk, "start": start, "end": start + timedelta(hours=9)}
    form = AbsenceForm(request.POST or None, initial=initial, people=choices)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                directory_absences.absence_register(
                    actor=request.user,
                    person=people[data["person"]],
                    start_at=data["start"],
                    end_at=data["end"],
                    note=data["note"],
                    deputy_username=deputy_username_from(data["deputy"]) if data["deputy"] else "",
                )
            except KairanError as exc:
                form.add_error(None, exc.message)
                status = exc.status_code
            else:
                messages.success(request, _("The absence was registered."))
                return redirect("workflow:absences")
    context = {
        "form": form,
        "absences": list(directory_absences.absences_visible(me, members)),
        "now": timezone.now(),
        "is_head": bool(members),
    }
    return render(request, "workflow/absences.html", context, status=status)


@require_POST
@login_required
def absence_cancel(request: HttpRequest, absence_id: int) -> HttpResponse:
    me = person_for_user(request.user)
    absence = Absence.objects.filter(pk=absence_id).first()
    if me is None or absence is None:
        raise Http404
    try:
        directory_absences.absence_cancel(actor=request.user, absence=absence)
    except KairanError as exc:
        if exc.status_code == 403:
            raise Http404 from exc  # someone else's absence does not exist for you
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The absence was withdrawn; its delegation has ended."))
    return redirect("workflow:absences")
