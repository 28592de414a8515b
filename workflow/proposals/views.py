"""HTML screens of the approval workflow (決裁): inbox, new proposal with a live route preview,
proposal detail with its 決裁欄 and the viewer's actions, delegations.

Thin: parse, call a selector or a service, render. What the viewer may see comes from the
selectors (invisible → 404); what they may do is shown with ``workflow.proposals.permissions`` and
enforced by the services, whose refusals (400/403/409) are shown on the page with that status.
Successful POSTs redirect (post/redirect/get).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from audit.exceptions import KairanError, NotFound, ValidationFailed
from directory import selectors as directory_selectors
from directory import services as directory_services
from directory.selectors import person_for_user, principals_for_deputy
from workflow.authority.routing import build_route
from workflow.proposals import lists, permissions, selectors, services
from workflow.proposals.absence_views import deputy_username_from
from workflow.proposals.attachment_views import panel_context
from workflow.proposals.drafting_models import ProposalTemplate
from workflow.proposals.forms import (
    CirculationForm,
    DelegationForm,
    ProposalForm,
    RoutePreviewForm,
    TaskActionForm,
)
from workflow.proposals.models import Decision, Proposal, ProposalStep

Status = Proposal.Status
State = ProposalStep.State
OPEN_STATES = (State.PENDING, State.WAITING)
CIRCULATE = ProposalStep.Kind.CIRCULATE
DECIDE = ProposalStep.Kind.DECIDE
CONSULT = ProposalStep.Kind.CONSULT
CIRCULATION = "circulation"  # Proposal.Kind of a 供覧

PROPOSAL_ACTIONS: dict[str, tuple[Callable[..., Any], Any]] = {
    "submit": (services.proposal_submit, _("The proposal was submitted for approval.")),
    "withdraw": (services.proposal_withdraw, _("The proposal was withdrawn (引戻し).")),
    "cancel": (services.proposal_cancel, _("The proposal was cancelled (取下げ).")),
}
TASK_ACTIONS: dict[str, tuple[Callable[..., Any], Any]] = {
    "approve": (services.task_approve, _("You approved the proposal.")),
    "send_back": (services.task_send_back, _("You sent the proposal back to the drafter.")),
    "reject": (services.task_reject, _("You rejected the proposal.")),
}
OUTBOX_LIMIT = 50
POST_REVIEWS_DONE_LIMIT = 20


def _visible(request: HttpRequest, proposal_id: int) -> Proposal:
    try:
        return selectors.proposal_get(user=request.user, proposal_id=proposal_id)
    except NotFound as exc:
        raise Http404 from exc


# --- inbox ------------------------------------------------------------------------------------


@require_GET
@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    """My pending tasks (also as a deputy), my drafts and outbox, my 後閲 items."""
    person = person_for_user(request.user)
    tasks = selectors.task_list_for_user(user=request.user)
    drafted = (
        list(selectors.proposal_list_for_drafter(user=request.user, drafter=person))
        if person
        else []
    )
    circulations = [(step, p) for step, p in tasks if step.kind == CIRCULATE]
    tasks = [(step, p) for step, p in tasks if step.kind != CIRCULATE]
    context = {
        "tasks": tasks,
        "circulations": circulations,
        "deputy_count": sum(1 for _step, principal in tasks if principal is not None),
        "today": timezone.localdate(),
        "drafts": [p for p in drafted if p.status in permissions.EDITABLE],
        "outbox": [p for p in drafted if p.status not in permissions.EDITABLE][:OUTBOX_LIMIT],
        "post_reviews": list(selectors.post_review_list_for_user(user=request.user)),
        "post_reviews_done": list(
            selectors.post_review_list_for_user(user=request.user, include_acknowledged=True)
            .filter(acknowledged_at__isnull=False)
            .order_by("-acknowledged_at")[:POST_REVIEWS_DONE_LIMIT]
        ),
    }
    return render(request, "workflow/inbox.html", context)


@require_POST
@login_required
def post_review_ack(request: HttpRequest, post_review_id: int) -> HttpResponse:
    """Acknowledge one of my 後閲 items."""
    try:
        item = selectors.post_review_get(user=request.user, post_review_id=post_review_id)
    except NotFound as exc:
        raise Http404 from exc
    try:
        services.post_review_ack(actor=request.user, post_review=item)
    except KairanError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Post-review acknowledged (後閲済)."))
    # Back to the proposal it was acknowledged from.
    return redirect("workflow:proposal", proposal_id=item.step.proposal_id)


# --- new proposal and route preview -----------------------------------------------------------


def _template_from(request: HttpRequest) -> Any:
    """The 起案 template chosen on the new-proposal page (``?template=<id>``), if any."""
    raw = request.GET.get("template", "")
    if not raw.isdigit() or len(raw) > 12:
        return None
    return ProposalTemplate.objects.filter(pk=int(raw), is_active=True).first()


@require_http_methods(["GET", "POST"])
@login_required
def proposal_create(request: HttpRequest) -> HttpResponse:
    """The new proposal form; saving makes a draft (then the detail page)."""
    template = _template_from(request)
    initial = ProposalForm.initial_from(template) if template else None
    form = ProposalForm(
        request.POST or None, initial=initial, consult_choices=_consult_choices(request)
    )
    if request.method == "POST" and form.is_valid():
        try:
            proposal = services.proposal_create(actor=request.user, **form.service_data())
        except KairanError as exc:
            form.add_error(None, exc.message)
            return _form_page(request, form, status=exc.status_code)
        messages.success(request, _("The draft was saved. Check the route, then submit it."))
        return redirect("workflow:proposal", proposal_id=proposal.pk)
    return _form_page(request, form, status=400 if form.is_bound else 200)


@require_http_methods(["GET", "POST"])
@login_required
def circulation_create(request: HttpRequest) -> HttpResponse:
    """A new 供覧 (circulation): recipients only confirm they have seen it."""
    return _circulation_page(request, None)


def _circulation_page(request: HttpRequest, proposal: Proposal | None) -> HttpResponse:
    person = person_for_user(request.user)
    colleagues = directory_selectors.colleagues_in_department(person) if person else []
    initial = {}
    if proposal is not None:
        names = selectors.person_usernames(proposal.recipient_ids)
        known = {post.person.user.get_username() for post in colleagues}
        initial = {
            "title": proposal.title,
            "body": proposal.body,
            "picked": [n for n in names if n in known],
            "others": " ".join(n for n in names if n not in known),
        }
    form = CirculationForm(request.POST or None, initial=initial, colleagues=colleagues)
    status = 400 if form.is_bound else 200
    if form.is_valid():
        data = {"title": form.cleaned_data["title"], "body": form.cleaned_data["body"]}
        try:
            if proposal is None:
                proposal = services.circulation_create(
                    actor=request.user, recipients=form.recipients(), **data
                )
            else:
                services.proposal_update(
                    actor=request.user, proposal=proposal, recipients=form.recipients(), **data
                )
        except KairanError as exc:
            form.add_error(None, exc.message)
            status = exc.status_code
        else:
            messages.success(request, _("The circulation was saved. Submit it from its page."))
            return redirect("workflow:proposal", proposal_id=proposal.pk)
    context = {"form": form, "proposal": proposal}
    return render(request, "workflow/circulation_form.html", context, status=status)


@require_http_methods(["GET", "POST"])
@login_required
def proposal_edit(request: HttpRequest, proposal_id: int) -> HttpResponse:
    """Change a draft or returned proposal (the drafter only); its route preview follows."""
    proposal = _visible(request, proposal_id)
    if not permissions.can_edit_proposal(person_for_user(request.user), proposal):
        raise Http404
    if proposal.kind == CIRCULATION:
        return _circulation_page(request, proposal)
    reviewers = selectors.proposal_reviewers(proposal)
    initial = {
        "title": proposal.title,
        "body": proposal.body,
        "category": proposal.category.code,
        "amount": proposal.amount,
        "letter_body": proposal.letter_body,
        "due_on": proposal.due_on,
        "binder_title": proposal.binder_title,
        "retention_years": proposal.retention_years,
        "extra_approvers": " ".join(reviewers["approve"]),
        "extra_consultees": reviewers["consult"],
    }
    choices = _consult_choices(request, keep=reviewers["consult"])
    form = ProposalForm(request.POST or None, initial=initial, consult_choices=choices)
    if request.method == "POST" and form.is_valid():
        try:
            services.proposal_update(
                actor=request.user, proposal=proposal, **form.service_data(editing=True)
            )
        except KairanError as exc:
            form.add_error(None, exc.message)
            return _form_page(request, form, proposal=proposal, status=exc.status_code)
        messages.success(request, _("The changes were saved."))
        return redirect("workflow:proposal", proposal_id=proposal.pk)
    return _form_page(request, form, proposal=proposal, status=400 if form.is_bound else 200)


def _form_page(
    request: HttpRequest, form: ProposalForm, *, proposal: Proposal | None = None, status: int
) -> HttpResponse:
    preview = _preview_context(request, RoutePreviewForm(form.data or form.initial or None))
    person = person_for_user(request.user)
    context = {
        "form": form,
        "proposal": proposal,
        "colleagues": directory_selectors.colleagues_in_department(person) if person else [],
        "reviewers_open": bool(
            form["extra_approvers"].value()
            or form["extra_consultees"].value()
            or form.errors.get("extra_approvers")
            or form.errors.get("extra_consultees")
        ),
        **preview,
        **(panel_context(request, proposal, can_edit=True) if proposal is not None else {}),
        "drafting_templates": []
        if proposal is not None
        else list(ProposalTemplate.objects.filter(is_active=True).select_related("category")),
    }
    return render(request, "workflow/proposal_form.html", context, status=status)


def _consult_choices(request: HttpRequest, keep: Iterable[str] = ()) -> list[tuple[str, str]]:
    """The 課 heads a drafter may add for 合議, as (user name, "課（課長 氏名）"); ``keep``: user
    names already chosen that are not (or no longer) a 課 head, so that saving keeps them."""
    person = person_for_user(request.user)
    choices = [
        (
            post.person.username,
            f"{post.unit.name}（{post.position.title} {post.person.display_name}）",
        )
        for post in directory_selectors.division_heads(exclude=person)
    ]
    offered = {username for username, _label in choices}
    return [*choices, *((name, name) for name in keep if name not in offered)]


@require_POST
@login_required
def route_preview(request: HttpRequest) -> HttpResponse:
    """htmx: the route the category and amount would take, each step with its reason."""
    context = _preview_context(request, RoutePreviewForm(request.POST))
    status = 400 if context["preview_errors"] else 200
    return render(request, "workflow/_route_preview.html", context, status=status)


def _preview_context(request: HttpRequest, form: RoutePreviewForm) -> dict[str, Any]:
    """{"route", "preview_errors"}: build_route for the form's values (nothing when unbound)."""
    if not form.is_bound:
        return {"route": None, "preview_errors": []}
    if not form.is_valid():
        errors = [str(e) for field_errors in form.errors.values() for e in field_errors]
        return {"route": None, "preview_errors": errors}
    person = person_for_user(request.user)
    if person is None:
        return {"route": None, "preview_errors": [_("You are not in the staff directory.")]}
    try:
        route = build_route(
            drafter=person,
            category=form.cleaned_data["category"].code,
            amount=form.cleaned_data["amount"],
            on=timezone.localdate(),
            **form.reviewers(),
        )
    except ValidationFailed as exc:
        return {"route": None, "preview_errors": [exc.message]}
    return {"route": route, "preview_errors": []}


# --- proposal detail and actions --------------------------------------------------------------


@require_GET
@login_required
def proposal_detail(request: HttpRequest, proposal_id: int) -> HttpResponse:
    """Header, 決裁欄, explanations, history by round and the viewer's action buttons."""
    proposal = _visible(request, proposal_id)
    # A principal who opens it may now acknowledge their 後閲 items (on this page).
    services.post_reviews_mark_opened(actor=request.user, proposal_id=proposal.pk)
    return render(request, "workflow/proposal_detail.html", _detail_context(request, proposal))


@require_POST
@login_required
def proposal_action(request: HttpRequest, proposal_id: int, action: str) -> HttpResponse:
    """Submit, withdraw (引戻し) or cancel (取下げ), as the drafter."""
    service, done = PROPOSAL_ACTIONS[action]
    proposal = _visible(request, proposal_id)
    try:
        service(actor=request.user, proposal=proposal)
    except KairanError as exc:
        return _refused(request, proposal.pk, exc, action=action)
    if action == "submit" and proposal.kind == CIRCULATION:
        done = _("The circulation was sent to its recipients (供覧).")
    messages.success(request, done)
    return redirect("workflow:proposal", proposal_id=proposal.pk)


@require_POST
@login_required
def task_action(request: HttpRequest, step_id: int, action: str) -> HttpResponse:
    """Approve, send back (差戻し, comment required) or reject (否決) a step of mine or my
    principal's (代決)."""
    service, done = TASK_ACTIONS[action]
    try:
        step = selectors.task_get(task_id=step_id)
    except NotFound as exc:
        raise Http404 from exc
    proposal = _visible(request, step.proposal_id)
    form = TaskActionForm(request.POST)
    comment = form.cleaned_data["comment"] if form.is_valid() else ""
    try:
        if form.errors:
            raise ValidationFailed(" ".join(form.errors["comment"]))
        service(actor=request.user, step=step, comment=comment)
    except KairanError as exc:
        return _refused(request, proposal.pk, exc, action=action, step_id=step.pk, comment=comment)
    if action == "approve":
        done = _approval_done(step, proposal.pk)
    messages.success(request, done)
    return redirect("workflow:proposal", proposal_id=proposal.pk)


def _approval_done(step: ProposalStep, proposal_id: int) -> Any:
    """The message after an approval names what was done: 決裁 (with the number), 合議, 供覧."""
    if step.kind == DECIDE:
        number = selectors.proposal_acted_on(proposal_id=proposal_id).document_number
        return _("You decided the proposal (決裁). Its document number is %(number)s.") % {
            "number": number
        }
    if step.kind == CONSULT:
        return _("You agreed to the proposal (合議).")
    if step.kind == CIRCULATE:
        return _("You confirmed having read it (供覧).")
    return _("You approved the proposal.")


@require_POST
@login_required
def proposal_approve_ahead(request: HttpRequest, proposal_id: int) -> HttpResponse:
    """引上げ承認: my later step approves ahead of absent earlier approvers."""
    proposal = _visible(request, proposal_id)
    form = TaskActionForm(request.POST)
    comment = form.cleaned_data["comment"] if form.is_valid() else ""
    try:
        if form.errors:
            raise ValidationFailed(" ".join(form.errors["comment"]))
        services.task_approve_ahead(actor=request.user, proposal=proposal, comment=comment)
    except KairanError as exc:
        return _refused(request, proposal.pk, exc, action="approve_ahead", comment=comment)
    messages.success(request, _("You approved ahead (引上げ承認)."))
    return redirect("workflow:proposal", proposal_id=proposal.pk)


def _refused(
    request: HttpRequest, proposal_id: int, exc: KairanError, **failed: Any
) -> HttpResponse:
    """The detail page again, with the service's refusal and its status (400/403/409)."""
    proposal = _visible(request, proposal_id)
    context = _detail_context(request, proposal)
    context["failed"] = {"message": exc.message, "status": exc.status_code, **failed}
    return render(request, "workflow/proposal_detail.html", context, status=exc.status_code)


def _detail_context(request: HttpRequest, proposal: Proposal) -> dict[str, Any]:
    person = person_for_user(request.user)
    steps = selectors.proposal_route(proposal)
    history = selectors.proposal_history(proposal)
    rounds: dict[int, list] = {}
    for entry in sorted(history, key=lambda e: (e.round, e.at, e.pk)):
        rounds.setdefault(entry.round, []).append(entry)
    ahead = {e.step_id for e in history if e.action == Decision.Action.APPROVED_AHEAD}
    return {
        "proposal": proposal,
        "columns": _columns(steps, selectors.post_review_states(steps=steps), ahead),
        "is_preview": bool(steps) and steps[0].round > proposal.round,
        "rounds": sorted(rounds.items()),
        "actions": _actions(person, proposal, steps),
        "pdf_url": _api_url("workflow_api:proposal-pdf", proposal),
        "letter_url": _api_url("workflow_api:proposal-issue-letter", proposal)
        if proposal.status == Status.APPROVED
        else None,
        **panel_context(
            request, proposal, can_edit=permissions.can_edit_proposal(person, proposal)
        ),
        "changes": lists.round_changes(proposal),
        "my_post_reviews": selectors.post_reviews_on(user=request.user, proposal=proposal),
    }


def _columns(steps: list[ProposalStep], reviews: dict, ahead: set) -> list[dict[str, Any]]:
    """The 決裁欄: one column per order; a 合議 order holds all its consulted units' cells."""
    columns: list[dict[str, Any]] = []
    for step in steps:
        cell = {"step": step, "has_post_review": step.pk in reviews, "ahead": step.pk in ahead}
        cell["post_reviewed_at"] = reviews.get(step.pk)
        if columns and columns[-1]["order"] == step.order:
            columns[-1]["cells"].append(cell)
        else:
            columns.append({"order": step.order, "kind": step.kind, "cells": [cell]})
    return columns


def _actions(person: Any, proposal: Proposal, steps: list[ProposalStep]) -> dict[str, Any]:
    """The buttons valid for this viewer (the services check again)."""
    drafter = permissions.is_drafter(person, proposal)
    tasks, mine_later = [], []
    if person is not None and proposal.status == Status.IN_REVIEW:
        principals = {p.pk for p in principals_for_deputy(person)}
        for step in steps:
            may_act, acting_for = permissions.acting_for_on_step(
                person, step, principals=principals, drafter_id=proposal.drafter_id
            )
            if not may_act or step.round != proposal.round:
                continue
            if step.state == State.PENDING:
                tasks.append(
                    {
                        "step": step,
                        "acting_for": step.approver if acting_for else None,
                        "may_reject": permissions.can_reject_step(step),
                        "may_send_back": step.kind != CIRCULATE,
                    }
                )
            elif step.state == State.WAITING and step.kind != ProposalStep.Kind.CONSULT:
                mine_later.append(step)
    return {
        "edit": permissions.can_edit_proposal(person, proposal),
        "submit": drafter and proposal.status in permissions.EDITABLE,
        "withdraw": drafter and proposal.status == Status.IN_REVIEW,
        "cancel": drafter and proposal.status in permissions.OPEN,
        "tasks": tasks,
        "ahead": None if tasks else _approvable_ahead(mine_later, steps),
    }


def _approvable_ahead(mine: list[ProposalStep], steps: list[ProposalStep]) -> dict | None:
    """引上げ承認 offer: my nearest later step and the open steps it would skip, unless one of
    them is a 合議 (never skipped; the service refuses it too)."""
    if not mine:
        return None
    step = mine[0]
    skipped = [s for s in steps if s.order < step.order and s.state in OPEN_STATES]
    if not skipped or any(s.kind == ProposalStep.Kind.CONSULT for s in skipped):
        return None
    return {"step": step, "skipped": skipped}


def _api_url(name: str, proposal: Proposal) -> str | None:
    """An output of the API (決裁文書 PDF, 施行文書 DOCX), if the engine mounts it."""
    try:
        return reverse(name, kwargs={"proposal_id": proposal.pk})
    except NoReverseMatch:
        return None


# --- delegations ------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
def delegations(request: HttpRequest) -> HttpResponse:
    """My delegations given and received, and a form to name a deputy (代決)."""
    person = person_for_user(request.user)
    if person is None:
        raise Http404
    form = DelegationForm(request.POST or None, initial=_delegation_initial())
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                directory_services.delegation_create(
                    actor=request.user,
                    deputy_username=deputy_username_from(data["deputy"]),
                    start_at=data["start"],
                    end_at=data["end"],
                )
            except KairanError as exc:
                form.add_error(None, exc.message)
                status = exc.status_code
            else:
                messages.success(request, _("The delegation was saved."))
                return redirect("workflow:delegations")
    return _delegations_page(request, person, form, status=status)


@require_GET
@login_required
def people_options(request: HttpRequest) -> HttpResponse:
    """The deputy field's suggestions (a datalist's options) for what has been typed."""
    typed = (request.GET.get("deputy") or request.GET.get("q") or "")[:50]
    return render(
        request,
        "workflow/_people_options.html",
        {"people": directory_selectors.staff_matching(typed)},
    )


@require_POST
@login_required
def delegation_revoke(request: HttpRequest, delegation_id: int) -> HttpResponse:
    """The principal revokes a delegation (as ``DELETE delegations/{id}/``): 404 unless I gave
    or received it, 403 for the deputy, 409 when already revoked (shown on the page)."""
    try:
        delegation = selectors.delegation_get(user=request.user, delegation_id=delegation_id)
    except NotFound as exc:
        raise Http404 from exc
    try:
        directory_services.delegation_revoke(actor=request.user, delegation=delegation)
    except KairanError as exc:
        person = person_for_user(request.user)
        form = DelegationForm(initial=_delegation_initial())
        refusal = {"message": exc.message, "status": exc.status_code}
        return _delegations_page(request, person, form, status=exc.status_code, refusal=refusal)
    messages.success(
        request,
        _("The delegation to %(name)s was revoked.") % {"name": delegation.deputy.display_name},
    )
    return redirect("workflow:delegations")


def _delegation_initial() -> dict[str, Any]:
    """A new delegation starts now (to the minute) for one day."""
    start = timezone.now().replace(second=0, microsecond=0)
    return {"start": start, "end": start + timedelta(days=1)}


def _delegations_page(
    request: HttpRequest,
    person: Any,
    form: DelegationForm,
    *,
    status: int,
    refusal: dict[str, Any] | None = None,
) -> HttpResponse:
    given, received = directory_selectors.delegations_of(person)
    context = {
        "form": form,
        "given": given,
        "received": received,
        "colleagues": directory_selectors.colleagues_in_department(person),
        "now": timezone.now(),
        "refusal": refusal,
    }
    return render(request, "workflow/delegations.html", context, status=status)
