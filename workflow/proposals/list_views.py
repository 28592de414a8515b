"""The approver's and the drafter's lists: 処理済み (what I handled, with my decision) and
起案一覧 (my proposals, or my 課's that I may see). Thin: selectors in
``workflow.proposals.lists``."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from directory.selectors import person_for_user
from workflow.proposals import lists, selectors

PROPOSAL_LIMIT = 200


@require_GET
@login_required
def handled(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "workflow/handled.html",
        {"steps": lists.steps_handled_by(user=request.user), "current": "handled"},
    )


@require_GET
@login_required
def proposals(request: HttpRequest) -> HttpResponse:
    scope = "division" if request.GET.get("scope") == "division" else "mine"
    if scope == "division":
        rows = lists.proposals_of_my_division(user=request.user)
    else:
        rows = selectors.proposal_list_for_drafter(
            user=request.user, drafter=person_for_user(request.user)
        )
    return render(
        request,
        "workflow/proposal_list.html",
        {"proposals": list(rows[:PROPOSAL_LIMIT]), "scope": scope, "current": "proposals"},
    )
