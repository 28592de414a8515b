"""The attachments panel of a proposal's pages (detail and edit): upload, replace and remove
without JavaScript (a form posting here, then a redirect), and with it by drag and drop with a
progress bar (``workflow/static/workflow/attachments.js`` posting to the API).

Thin: the proposal must be visible (404), the services check the drafter (403) and the state
(409); a refusal comes back as a message on the page it was sent from.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from audit.exceptions import KairanError, NotFound, ValidationFailed
from documents import validation
from workflow.proposals import selectors, services


def panel_context(request: HttpRequest, proposal: Any, *, can_edit: bool) -> dict[str, Any]:
    """What ``workflow/_attachments.html`` needs (the detail and edit pages include it)."""
    return {
        "attachments": selectors.proposal_attachments(proposal),
        "attachments_editable": can_edit,
        "attachments_api": reverse(
            "workflow_api:proposal-attachments", kwargs={"proposal_id": proposal.pk}
        ),
        "upload_max_bytes": validation.max_upload_bytes(),
        "upload_max_mb": validation.max_upload_bytes() // (1024 * 1024),
        "back_to": request.get_full_path(),
    }


def _visible(request: HttpRequest, proposal_id: int) -> Any:
    try:
        return selectors.proposal_get(user=request.user, proposal_id=proposal_id)
    except NotFound as exc:
        raise Http404 from exc


def _back(request: HttpRequest, proposal_id: int) -> HttpResponse:
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        target = reverse("workflow:proposal", kwargs={"proposal_id": proposal_id})
    return redirect(target)


def _upload_or_refuse(request: HttpRequest) -> Any:
    # An over-limit body never gets here: config.middleware refuses it before it is read.
    upload = request.FILES.get("file")
    if upload is None:
        raise ValidationFailed(_("Choose a file to attach."))
    return upload


@require_POST
@login_required
def attachment_add(request: HttpRequest, proposal_id: int) -> HttpResponse:
    proposal = _visible(request, proposal_id)
    try:
        upload = _upload_or_refuse(request)
        services.proposal_attachment_upload(
            actor=request.user,
            proposal=proposal,
            content=upload,
            name=upload.name,
            size_bytes=upload.size,
            title=(request.POST.get("title") or "").strip()[:200] or None,
            request=request,
        )
    except KairanError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The file was attached."))
    return _back(request, proposal.pk)


@require_POST
@login_required
def attachment_replace(request: HttpRequest, proposal_id: int, attachment_id: int) -> HttpResponse:
    proposal = _visible(request, proposal_id)
    try:
        upload = _upload_or_refuse(request)
        services.proposal_attachment_replace(
            actor=request.user,
            proposal=proposal,
            attachment_id=attachment_id,
            content=upload,
            name=upload.name,
            size_bytes=upload.size,
            request=request,
        )
    except KairanError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("A new version of the attachment was stored."))
    return _back(request, proposal.pk)


@require_POST
@login_required
def attachment_remove(request: HttpRequest, proposal_id: int, attachment_id: int) -> HttpResponse:
    proposal = _visible(request, proposal_id)
    try:
        services.proposal_attachment_remove(
            actor=request.user, proposal=proposal, attachment_id=attachment_id, request=request
        )
    except KairanError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The attachment was removed (the file stays in the records)."))
    return _back(request, proposal.pk)
