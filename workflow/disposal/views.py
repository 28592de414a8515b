"""The disposal screen (廃棄を起案): thin; the rules are in ``workflow/disposal/services.py``."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from audit.exceptions import KairanError, NotFound
from documents import selectors as documents_selectors
from documents import services as documents_services
from workflow.disposal import selectors, services
from workflow.disposal.forms import DisposalProposeForm


@require_http_methods(["GET", "POST"])
@login_required
def disposal_propose(request: HttpRequest) -> HttpResponse:
    """廃棄を起案: the binders of my 課 past their disposal date, to tick; posting (also from the
    records' disposal-due list) creates and submits the disposal proposal, then its page.

    Refusals of ``workflow.disposal.services.disposal_propose`` are shown here at their status:
    400 (none
    chosen, not due, legal hold), 403 (another 課's binder), 409 (already on a proposal); a
    binder I may not see is 404.
    """
    form = DisposalProposeForm(request.POST or None)
    refusal = None
    if request.method == "POST":
        if form.is_valid():
            try:
                proposal = services.disposal_propose(
                    actor=request.user, binders=form.cleaned_data["binders"]
                )
            except NotFound as exc:
                raise Http404 from exc
            except KairanError as exc:
                refusal = {"message": exc.message, "status": exc.status_code}
            else:
                messages.success(
                    request, _("The disposal proposal was drafted and submitted for approval.")
                )
                return redirect("workflow:proposal", proposal_id=proposal.pk)
        else:
            refusal = {"message": " ".join(form.errors.get("binders", [])), "status": 400}
    return _disposal_page(request, form, refusal)


def _disposal_page(
    request: HttpRequest, form: DisposalProposeForm, refusal: dict[str, Any] | None
) -> HttpResponse:
    """The due binders of my 課 (as of today, as the service decides), each selectable or with
    the reason it is not: under legal hold, or already on a disposal proposal."""
    try:
        unit = documents_services.division_of(request.user)
    except KairanError as exc:
        refusal = refusal or {"message": exc.message, "status": exc.status_code}
        context = {"rows": [], "unit": None, "refusal": refusal, "selected": set()}
        return render(request, "workflow/disposal_propose.html", context, status=exc.status_code)
    visible = documents_selectors.binder_list_visible(user=request.user).values("pk")
    binders = list(
        documents_selectors.binders_due_for_disposal(
            unit, timezone.localdate(), include_held=True
        ).filter(pk__in=visible)
    )
    pending = selectors.disposal_binder_ids_pending([b.pk for b in binders])
    rows = [
        {
            "binder": b,
            "blocked": "hold" if b.is_legal_hold else "pending" if b.pk in pending else "",
        }
        for b in binders
    ]
    selected = set(form.cleaned_data["binders"]) if form.is_bound and form.is_valid() else set()
    context = {"rows": rows, "unit": unit, "refusal": refusal, "selected": selected}
    status = refusal["status"] if refusal else 200
    return render(request, "workflow/disposal_propose.html", context, status=status)
