"""Attachments of a proposal (添付資料): add, replace (a new version), link and remove while the
proposal is a draft or returned; frozen per round at submission (``round_attachments_freeze``).

Files are stored as records documents through ``documents.services`` (same upload checks: 413
too large, 400 a file that is not what it says); the attachment is the link. Every change locks
the proposal row first (the documents' locks and the audit chain head come after it).
"""

from __future__ import annotations

from typing import IO, Any

from django.utils import timezone
from django.utils.translation import gettext as _

from audit.exceptions import Conflict, NotFound, PermissionRefused
from audit.transactions import atomic_service
from documents import selectors as documents_selectors
from documents import services as documents_services
from documents.models import Document
from workflow.proposals import permissions
from workflow.proposals.attachments_models import ProposalAttachment, RoundAttachment, RoundContent
from workflow.proposals.models import Proposal
from workflow.proposals.services._common import acting_person, audit_proposal, locked_proposal

# A proposal is read on a tablet by a dozen people: a bound keeps it readable and the PDF sane.
MAX_ATTACHMENTS = 30


def _editable(actor: Any, proposal_id: int) -> Proposal:
    """The proposal locked, when ``actor`` is its drafter and it is a draft or returned."""
    person = acting_person(actor)
    proposal = locked_proposal(proposal_id)
    if not permissions.is_drafter(person, proposal):
        raise PermissionRefused(_("Only the drafter may change the attachments."))
    if proposal.status not in permissions.EDITABLE:
        raise Conflict(
            _(
                "Attachments are frozen while the proposal is in review and after its decision: "
                "withdraw it (or wait for a send-back) to change them."
            )
        )
    return proposal


def _attachment_of(proposal: Proposal, attachment_id: int) -> ProposalAttachment:
    found = (
        ProposalAttachment.objects.select_related("document")
        .filter(pk=attachment_id, proposal=proposal)
        .first()
    )
    if found is None:
        raise NotFound(_("Not found."))
    return found


def _link(proposal: Proposal, document: Document, person: Any) -> ProposalAttachment:
    if ProposalAttachment.objects.filter(proposal=proposal).count() >= MAX_ATTACHMENTS:
        raise Conflict(
            _("A proposal can carry at most %(count)d attachments.") % {"count": MAX_ATTACHMENTS}
        )
    if ProposalAttachment.objects.filter(proposal=proposal, document=document).exists():
        raise Conflict(_("This document is already attached."))
    return ProposalAttachment.objects.create(proposal=proposal, document=document, added_by=person)


@atomic_service
def proposal_attachment_upload(
    *,
    actor: Any,
    proposal: Proposal,
    content: IO[bytes],
    name: str | None,
    size_bytes: int,
    title: str | None = None,
    classification: str | None = None,
    request: Any = None,
) -> ProposalAttachment:
    """Store a file as a document of the drafter's 課 and attach it. Raises PermissionRefused
    (not the drafter), Conflict (not editable, too many), UploadTooLarge (413), ValidationFailed."""
    proposal = _editable(actor, proposal.pk)
    document = documents_services.document_upload(
        actor=actor,
        content=content,
        name=name,
        size_bytes=size_bytes,
        title=title or _title_from(name),
        classification=classification,
        request=request,
    )
    attachment = _link(proposal, document, acting_person(actor))
    _audit(actor, proposal, "workflow.attachment_added", attachment, document.current_version)
    return attachment


@atomic_service
def proposal_attachment_link(
    *, actor: Any, proposal: Proposal, document_id: int, request: Any = None
) -> ProposalAttachment:
    """Attach an existing document the drafter may see (NotFound otherwise)."""
    proposal = _editable(actor, proposal.pk)
    document = documents_selectors.document_get(user=actor, document_id=document_id)
    if document.current_version_id is None or document.disposed_at is not None:
        raise Conflict(_("This document has no file to attach."))
    attachment = _link(proposal, document, acting_person(actor))
    _audit(actor, proposal, "workflow.attachment_added", attachment, document.current_version)
    return attachment


@atomic_service
def proposal_attachment_replace(
    *,
    actor: Any,
    proposal: Proposal,
    attachment_id: int,
    content: IO[bytes],
    name: str | None,
    size_bytes: int,
    request: Any = None,
) -> ProposalAttachment:
    """A new version of an attached document (the old one stays on record and in any round that
    asked about it). Same refusals as an upload; PermissionRefused when the drafter may not add
    versions to that document."""
    proposal = _editable(actor, proposal.pk)
    attachment = _attachment_of(proposal, attachment_id)
    version = documents_services.document_add_version(
        actor=actor,
        document=attachment.document,
        content=content,
        name=name,
        size_bytes=size_bytes,
        request=request,
    )
    _audit(actor, proposal, "workflow.attachment_replaced", attachment, version)
    return attachment


@atomic_service
def proposal_attachment_remove(
    *, actor: Any, proposal: Proposal, attachment_id: int, request: Any = None
) -> None:
    """Detach a document (the document itself stays in the records)."""
    proposal = _editable(actor, proposal.pk)
    attachment = _attachment_of(proposal, attachment_id)
    _audit(
        actor,
        proposal,
        "workflow.attachment_removed",
        attachment,
        attachment.document.current_version,
    )
    attachment.delete()


def round_content_freeze(proposal: Proposal, *, round_: int) -> RoundContent:
    """Record the title, body, category and amount the round asks about (submission)."""
    return RoundContent.objects.create(
        proposal=proposal,
        round=round_,
        title=proposal.title,
        body=proposal.body,
        category_name=proposal.category.name,
        amount=proposal.amount,
        submitted_at=proposal.submitted_at or timezone.now(),
    )


def round_attachments_freeze(proposal: Proposal, *, round_: int) -> list[RoundAttachment]:
    """Record the exact version and SHA-256 of every attachment for ``round_`` (submission).

    Called by ``proposal_submit`` under the proposal's row lock, so no attachment changes
    between the snapshot and the round's start.
    """
    links = ProposalAttachment.objects.filter(proposal=proposal).select_related(
        "document__current_version__blob"
    )
    rows = [
        RoundAttachment(
            proposal=proposal,
            round=round_,
            attachment=link,
            document=link.document,
            version=link.document.current_version,
            title=link.document.title,
            sha256=link.document.current_version.blob.sha256,
        )
        for link in links
        if link.document.current_version_id is not None
    ]
    return RoundAttachment.objects.bulk_create(rows)


def _title_from(name: str | None) -> str:
    # Never a path: only the last component, without its extension.
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    stem = base.rsplit(".", 1)[0] if "." in base else base
    return stem.strip()[:200] or str(_("Attachment"))


def _audit(actor: Any, proposal: Proposal, action: str, attachment: Any, version: Any) -> None:
    audit_proposal(
        action,
        actor,
        proposal,
        attachment=attachment.pk,
        document=attachment.document_id,
        version=getattr(version, "number", None),
        sha256=version.blob.sha256 if version is not None else None,
    )
