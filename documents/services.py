"""Every write of records: uploads and versions, verified reads, extraction, binders, legal
hold and disposal (the registers are in ``registers.py``, transfer in ``transfer.py``).

Services are keyword-only; they check permission first, validate, change, and audit in the
same transaction. Uploads are validated completely before anything is stored. A file written
to storage inside a transaction that then fails is removed again when no row refers to it; a
file orphaned by an *outer* rollback is found by the `documents_orphans` command.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from typing import IO, Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from audit import services as audit
from audit.exceptions import Conflict, KairanError, PermissionRefused, ValidationFailed
from audit.transactions import atomic_service, enqueue_with_change, run_atomic
from directory.calendar import fiscal_year
from directory.models import OrgUnit
from directory.selectors import person_for_user, person_primary_post, unit_at_level
from documents import extraction, hooks, permissions, retention, selectors, storage, validation
from documents.models import (
    Binder,
    Blob,
    Classification,
    DisposalRecord,
    Document,
    DocumentVersion,
    FiledProposal,
    Retention,
    TextExtraction,
)
from documents.search import index_delete, index_upsert
from documents.signals import text_extracted

logger = logging.getLogger(__name__)

TITLE_MAX_LENGTH = 200


class BlobCorrupted(KairanError):
    """The stored file does not match its SHA-256: reported, audited, never served."""

    status_code = 500


@dataclass
class OpenedVersion:
    """A verified version ready to serve; close ``content`` when done."""

    version: DocumentVersion
    content: IO[bytes]


# --- documents and versions -------------------------------------------------------------------


def document_upload(
    *,
    actor: Any,
    content: IO[bytes],
    name: str | None,
    size_bytes: int,
    title: str,
    binder: Binder | None = None,
    classification: str | None = None,
    request: Any = None,
) -> Document:
    """A new document with version 1. Raises PermissionRefused (403) when the actor may not file
    into the binder or has no 課, UploadTooLarge (413), ValidationFailed (400) for bad input."""
    if binder is not None:
        if not permissions.can_file_into_binder(actor, binder):
            raise PermissionRefused(_("You may not file documents into this binder."))
        unit, fy = binder.unit, binder.fiscal_year
    else:
        unit, fy = division_of(actor), fiscal_year(timezone.localdate())
    title = _clean_title(title)
    classification = _clean_classification(
        classification, default=binder.classification if binder else Classification.INTERNAL
    )
    checked = validation.check_upload(name=name, content=content, size_bytes=size_bytes)
    sha256 = _hash(content)

    def write() -> Document:
        blob = _blob_for(sha256=sha256, checked=checked, content=content)
        document = Document.objects.create(
            title=title,
            unit=unit,
            classification=classification,
            binder=binder,
            fiscal_year=fy,
            created_by=actor,
        )
        version = _version_create(document=document, number=1, blob=blob, checked=checked, by=actor)
        document.current_version = version
        document.save(update_fields=["current_version"])
        audit.record(
            action="documents.uploaded",
            actor=actor,
            target=document,
            request=request,
            details={
                "title": title,
                "version": 1,
                "sha256": sha256,
                "size": checked.size_bytes,
                "classification": classification,
                "binder": binder.pk if binder else None,
            },
        )
        _index(document)
        return document

    return _with_blob_cleanup(write, sha256=sha256)


def document_add_version(
    *,
    actor: Any,
    document: Document,
    content: IO[bytes],
    name: str | None,
    size_bytes: int,
    request: Any = None,
) -> DocumentVersion:
    """A new immutable version, which becomes current; older ones stay downloadable.

    Raises PermissionRefused (403) for a non-member of the document's 課, Conflict (409) for a
    disposed document, UploadTooLarge (413) and ValidationFailed (400) for bad input.
    """
    if not permissions.can_add_version(actor, document):
        raise PermissionRefused(_("Only the owning division may add versions."))
    if document.disposed_at is not None:
        raise Conflict(_("This document has been disposed of."))
    checked = validation.check_upload(name=name, content=content, size_bytes=size_bytes)
    sha256 = _hash(content)

    def write() -> DocumentVersion:
        locked = Document.objects.select_for_update(of=("self",), no_key=True).get(pk=document.pk)
        last = locked.versions.order_by("-number").values_list("number", flat=True).first() or 0
        blob = _blob_for(sha256=sha256, checked=checked, content=content)
        version = _version_create(
            document=locked, number=last + 1, blob=blob, checked=checked, by=actor
        )
        locked.current_version = version
        locked.save(update_fields=["current_version"])
        document.current_version = version
        audit.record(
            action="documents.version_added",
            actor=actor,
            target=locked,
            request=request,
            details={"version": version.number, "sha256": sha256, "size": checked.size_bytes},
        )
        _index(locked)  # the new version's text arrives with its extraction
        return version

    return _with_blob_cleanup(write, sha256=sha256)


def document_view_record(*, actor: Any, document: Document, request: Any = None) -> None:
    """Audit a view of a confidential document (others are not recorded)."""
    if document.classification == Classification.CONFIDENTIAL:
        audit.record(
            action="documents.viewed",
            actor=actor,
            target=document,
            request=request,
            details={"classification": document.classification},
        )


def version_open(
    *, actor: Any, document: Document, version: DocumentVersion, request: Any = None
) -> OpenedVersion:
    """The verified bytes of a version. Audits downloads of confidential documents.

    Raises Conflict (409) for a disposed document and BlobCorrupted (500, audited) when the
    stored file does not hash to the recorded SHA-256.
    """
    if document.disposed_at is not None or version.blob.purged_at is not None:
        raise Conflict(_("This document has been disposed of."))
    try:
        content = storage.verify_blob(key=version.blob.storage_key, sha256=version.blob.sha256)
    except storage.BlobIntegrityError as exc:
        logger.error("integrity check failed: %s", exc)
        audit.record(
            action="documents.integrity_failed",
            actor=actor,
            target=version.blob,
            request=request,
            details={"document": document.pk, "version": version.number},
        )
        raise BlobCorrupted(
            _(
                "The stored file failed its integrity check (SHA-256 mismatch) and is not "
                "served. The administrators have been notified through the audit log."
            )
        ) from exc
    if document.classification == Classification.CONFIDENTIAL:
        audit.record(
            action="documents.downloaded",
            actor=actor,
            target=document,
            request=request,
            details={"version": version.number, "sha256": version.blob.sha256},
        )
    return OpenedVersion(version=version, content=content)


def _hash(content: IO[bytes]) -> str:
    content.seek(0)
    digest, _size = storage.sha256_of(iter(lambda: content.read(storage.CHUNK_BYTES), b""))
    content.seek(0)
    return digest


def _blob_for(*, sha256: str, checked: validation.CheckedUpload, content: IO[bytes]) -> Blob:
    """The one Blob row of this content, its file (re)written when absent or damaged.

    Writers of one content queue on PostgreSQL until the first commits: a second one would
    otherwise find the first's file half-written, take it for damaged and delete it (seen in
    tests/documents/test_races.py). SQLite's IMMEDIATE transactions already serialise writers.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            # The two-key form: its own key space, apart from the search engine's bigint keys.
            cur.execute(
                "SELECT pg_advisory_xact_lock(hashtext('documents.blob'), hashtext(%s))", [sha256]
            )
    key, _written = storage.write_blob(sha256=sha256, content=content)
    blob, created = Blob.objects.get_or_create(
        sha256=sha256, defaults={"size_bytes": checked.size_bytes, "storage_key": key}
    )
    if not created and blob.purged_at is not None:
        blob.purged_at = None
        blob.save(update_fields=["purged_at"])
    return blob


def _with_blob_cleanup(write, *, sha256: str):
    """Run ``write`` atomically; on failure remove a file that no committed row refers to."""
    try:
        return run_atomic(write, name="document upload")
    except BaseException:
        if not Blob.objects.filter(sha256=sha256, purged_at__isnull=True).exists():
            storage.delete_blob(key=storage.key_for(sha256))
        raise


def _version_create(
    *, document: Document, number: int, blob: Blob, checked: validation.CheckedUpload, by: Any
) -> DocumentVersion:
    version = DocumentVersion.objects.create(
        document=document,
        number=number,
        blob=blob,
        original_name=checked.name,
        size_bytes=checked.size_bytes,
        content_type=checked.content_type,
        uploaded_by=by,
    )
    TextExtraction.objects.create(version=version)
    _enqueue_extraction(version.pk)
    return version


def _enqueue_extraction(version_id: int) -> None:
    enqueue_with_change(extract_version_text, version_id)


def division_of(actor: Any) -> OrgUnit:
    """The 課 of the actor's primary post; raises PermissionRefused without a post."""
    person = person_for_user(actor)
    post = person_primary_post(person) if person else None
    if post is None:
        raise PermissionRefused(_("Only staff with a post in a division may upload documents."))
    return unit_at_level(post.unit, OrgUnit.Level.DIVISION) or post.unit


def _clean_title(title: str | None) -> str:
    title = (title or "").strip()
    if not title:
        raise ValidationFailed(_("A title is required."))
    if len(title) > TITLE_MAX_LENGTH or "\x00" in title:
        raise ValidationFailed(_("The title is too long or contains invalid characters."))
    return title


def _clean_classification(value: str | None, *, default: str) -> str:
    if not value:
        return default
    if value not in Classification.values:
        raise ValidationFailed(_("Unknown classification: %(value)s") % {"value": value})
    return value


# --- text extraction --------------------------------------------------------------------------


@task()
def extract_version_text(version_id: int) -> str:
    """The background task (django-tasks) of an upload: extract the text of one version;
    returns the final status (``done`` or ``failed``). In the embedded default it runs in-process
    right after the upload commits; ``KAIRAN_TASK_WORKERS=external`` moves it to workers."""
    return extraction_run(version_id=version_id).status


def extraction_run(*, version_id: int) -> TextExtraction:
    """Extract the text of a version (the background task's body); records done or failed.

    Never raises for a bad file: the failure is stored on the row, visible in the UI.
    """
    job = TextExtraction.objects.select_related("version__blob").get(version_id=version_id)
    if job.status == TextExtraction.Status.DONE:
        return job
    job.status, job.started_at, job.error = TextExtraction.Status.RUNNING, timezone.now(), ""
    job.save(update_fields=["status", "started_at", "error"])
    blob = job.version.blob
    try:
        content = storage.verify_blob(key=blob.storage_key, sha256=blob.sha256)
        with content:
            result = extraction.extract_text(content, job.version.content_type)
    except (storage.BlobIntegrityError, extraction.ExtractionFailed) as exc:
        job.status, job.error = TextExtraction.Status.FAILED, str(exc)[:500]
    else:
        job.status = TextExtraction.Status.DONE
        job.text = result.text if result else ""
        job.is_truncated = bool(result and result.is_truncated)
    job.finished_at = timezone.now()
    with transaction.atomic():
        job.save(update_fields=["status", "text", "is_truncated", "error", "finished_at"])
        # The document row lock serialises every index write of one document (new versions
        # take it too), so two writers never rebuild the same index entry at once.
        document = Document.objects.select_for_update(of=("self",), no_key=True).get(
            pk=job.version.document_id
        )
        if job.status == TextExtraction.Status.DONE and document.disposed_at is None:
            _index(document)
    if job.status == TextExtraction.Status.DONE:
        text_extracted.send(sender=TextExtraction, version=job.version)
    return job


def _index(document: Document) -> None:
    """Keep the search index in step (same transaction): title, current text, visibility."""
    index_upsert(
        kind="document",
        object_id=document.pk,
        title=document.title,
        text=selectors.document_text(document.pk),
        owner_unit_id=document.unit_id,
        classification=document.classification,
    )


# --- binders ----------------------------------------------------------------------------------


@atomic_service
def binder_create(
    *,
    actor: Any,
    unit: OrgUnit,
    fiscal_year: int,
    title: str,
    retention_years: int,
    classification: str = Classification.INTERNAL,
    request: Any = None,
) -> Binder:
    """A binder (簿冊) of a 課 for a fiscal year; its disposal date follows the retention rule.

    Raises PermissionRefused for non-members, ValidationFailed for bad values or a duplicate.
    """
    if not permissions.can_manage_binders(actor, unit.pk):
        raise PermissionRefused(_("Only members of the division may create its binders."))
    if unit.level != OrgUnit.Level.DIVISION:
        raise ValidationFailed(_("Binders belong to a division (課)."))
    title = _clean_title(title)
    if retention_years not in Retention.values:
        raise ValidationFailed(_("Retention must be 1, 3, 5, 10, 30 years or permanent."))
    if not 1900 <= fiscal_year <= 2999:
        raise ValidationFailed(_("Invalid fiscal year."))
    classification = _clean_classification(classification, default=Classification.INTERNAL)
    if Binder.objects.filter(unit=unit, fiscal_year=fiscal_year, title=title).exists():
        raise ValidationFailed(_("This division already has a binder with this title that year."))
    binder = Binder.objects.create(
        unit=unit,
        fiscal_year=fiscal_year,
        title=title,
        retention=retention_years,
        classification=classification,
        disposal_on=retention.disposal_date(closing_fy=fiscal_year, retention=retention_years),
        created_by=actor,
    )
    _audit_binder("documents.binder_created", actor, binder, request, retention=retention_years)
    return binder


@atomic_service
def binder_close(
    *, actor: Any, binder: Binder, closed_on: date | None = None, request: Any = None
) -> Binder:
    """Close a binder; retention then counts from the fiscal year of ``closed_on`` (default
    today), never earlier than the binder's own year. Raises PermissionRefused, Conflict."""
    if not permissions.can_manage_binders(actor, binder.unit_id):
        raise PermissionRefused(_("Only members of the division may close its binders."))
    binder = Binder.objects.select_for_update(of=("self",), no_key=True).get(pk=binder.pk)
    if binder.status != Binder.Status.OPEN:
        raise Conflict(_("This binder is not open."))
    closed_on = closed_on or timezone.localdate()
    closing_fy = max(fiscal_year(closed_on), binder.fiscal_year)
    binder.status, binder.closed_on = Binder.Status.CLOSED, closed_on
    binder.disposal_on = retention.disposal_date(closing_fy=closing_fy, retention=binder.retention)
    binder.save(update_fields=["status", "closed_on", "disposal_on"])
    _audit_binder("documents.binder_closed", actor, binder, request, closed_on=closed_on)
    return binder


@atomic_service
def binder_set_legal_hold(
    *, actor: Any, binder: Binder, is_held: bool, reason: str = "", request: Any = None
) -> Binder:
    """Place or lift a legal hold (blocks disposal). Raises PermissionRefused, ValidationFailed."""
    if not permissions.can_set_legal_hold(actor):
        raise PermissionRefused(_("You may not place or lift legal holds."))
    reason = (reason or "").strip()
    if is_held and not reason:
        raise ValidationFailed(_("A legal hold needs a reason."))
    binder = Binder.objects.select_for_update(of=("self",), no_key=True).get(pk=binder.pk)
    if binder.status == Binder.Status.DISPOSED:
        raise Conflict(_("This binder has been disposed of."))
    binder.is_legal_hold, binder.legal_hold_reason = is_held, reason[:500] if is_held else ""
    binder.save(update_fields=["is_legal_hold", "legal_hold_reason"])
    action = "documents.legal_hold_placed" if is_held else "documents.legal_hold_lifted"
    _audit_binder(action, actor, binder, request, reason=reason)
    return binder


@atomic_service
def document_file(*, actor: Any, document: Document, binder: Binder, request: Any = None) -> None:
    """File a document of the actor's 課 into an open binder of the same 課."""
    if not (
        permissions.can_add_version(actor, document)
        and permissions.can_file_into_binder(actor, binder)
    ):
        raise PermissionRefused(_("You may not file this document into this binder."))
    if document.unit_id != binder.unit_id:
        raise ValidationFailed(_("A document is filed in a binder of its own division."))
    if document.disposed_at is not None:
        raise Conflict(_("This document has been disposed of."))
    document.binder = binder
    document.save(update_fields=["binder"])
    _audit_binder("documents.filed", actor, binder, request, document=document.pk)


@atomic_service
def proposal_file(
    *, actor: Any, binder: Binder, proposal_id: int, request: Any = None
) -> FiledProposal:
    """File a decided proposal (visible to the actor) into an open binder of their 課.

    Raises PermissionRefused, ValidationFailed (not a decided proposal), Conflict (filed).
    """
    if not permissions.can_file_into_binder(actor, binder):
        raise PermissionRefused(_("You may not file into this binder."))
    decided = hooks.decided_proposal(actor, proposal_id)
    if decided is None:
        raise ValidationFailed(_("Only a decided proposal can be filed."))
    if FiledProposal.objects.filter(proposal_id=proposal_id).exists():
        raise Conflict(_("This proposal is already filed."))
    filed = FiledProposal.objects.create(
        binder=binder,
        proposal_id=proposal_id,
        document_number=decided.document_number,
        title=decided.title[:200],
        filed_by=actor,
    )
    _audit_binder("documents.proposal_filed", actor, binder, request, proposal=proposal_id)
    return filed


@atomic_service
def binder_dispose(
    *, actor: Any, binder: Binder, approval_reference: str, request: Any = None
) -> DisposalRecord:
    """Destroy the files of a binder on an approved disposal; keep a DisposalRecord forever.

    Refuses (PermissionRefused, 403) without a reference the disposal approval resolves and
    that covers this binder; Conflict (409) under legal hold, for 永年, before the disposal
    date, or when already disposed. Files are deleted from storage after the commit.
    """
    if not permissions.can_dispose_binder(actor, binder):
        raise PermissionRefused(_("Only members of the division may dispose of its binders."))
    reference = (approval_reference or "").strip()
    approval = hooks.approved_disposal(reference) if reference else None
    if approval is None or binder.pk not in approval.binder_ids:
        raise PermissionRefused(_("Disposal needs an approved disposal decision for this binder."))
    binder = Binder.objects.select_for_update(of=("self",), no_key=True).get(pk=binder.pk)
    if binder.status == Binder.Status.DISPOSED:
        raise Conflict(_("This binder has already been disposed of."))
    if binder.is_legal_hold:
        raise Conflict(_("This binder is under legal hold and cannot be disposed of."))
    today = timezone.localdate()
    if not retention.is_due(disposal_on=binder.disposal_on, on=today):
        raise Conflict(_("The retention period of this binder has not ended."))
    now = timezone.now()
    documents = list(binder.documents.filter(disposed_at__isnull=True))
    versions = list(
        DocumentVersion.objects.filter(document__in=documents).select_related("blob", "document")
    )
    record = DisposalRecord.objects.create(
        binder=binder,
        approval_reference=reference,
        approved_by=list(approval.approved_by),
        approved_at=approval.approved_at,
        disposed_by=actor,
        disposed_at=now,
        binder_snapshot=_binder_snapshot(binder),
        items=[_version_snapshot(v) for v in versions],
    )
    Document.objects.filter(pk__in=[d.pk for d in documents]).update(disposed_at=now)
    for document in documents:
        index_delete(kind="document", object_id=document.pk)
    TextExtraction.objects.filter(version__in=versions).update(text="")
    # A blob shared with a document outside the disposal stays.
    blob_ids = {v.blob_id for v in versions}
    still_used = set(
        DocumentVersion.objects.filter(blob_id__in=blob_ids, document__disposed_at__isnull=True)
        .values_list("blob_id", flat=True)
        .distinct()
    )
    purged = list(Blob.objects.filter(pk__in=blob_ids - still_used))
    Blob.objects.filter(pk__in=[b.pk for b in purged]).update(purged_at=now)
    binder.status = Binder.Status.DISPOSED
    binder.save(update_fields=["status"])
    _audit_binder(
        "documents.binder_disposed",
        actor,
        binder,
        request,
        disposal_record=record.pk,
        approval=reference,
        documents=len(documents),
        files_purged=len(purged),
    )
    keys = [b.storage_key for b in purged]
    transaction.on_commit(lambda: _purge_files(keys))
    return record


def _purge_files(keys: list[str]) -> None:
    for key in keys:
        try:
            storage.delete_blob(key=key)
        except Exception:  # the record stands; an operator removes the file by hand
            logger.exception("could not delete disposed file %s", key)


def _binder_snapshot(binder: Binder) -> dict[str, Any]:
    return {
        "id": binder.pk,
        "title": binder.title,
        "unit": binder.unit.name,
        "fiscal_year": binder.fiscal_year,
        "retention": binder.retention,
        "classification": binder.classification,
        "closed_on": binder.closed_on.isoformat() if binder.closed_on else None,
        "disposal_on": binder.disposal_on.isoformat() if binder.disposal_on else None,
    }


def _version_snapshot(version: DocumentVersion) -> dict[str, Any]:
    return {
        "document": version.document_id,
        "title": version.document.title,
        "version": version.number,
        "file_name": version.original_name,
        "sha256": version.blob.sha256,
        "size": version.size_bytes,
        "content_type": version.content_type,
    }


def _audit_binder(action: str, actor: Any, binder: Binder, request: Any, **details: Any) -> None:
    audit.record(action=action, actor=actor, target=binder, request=request, details=details)
