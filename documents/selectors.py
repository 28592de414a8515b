"""Reads of records, with visibility (CONTRACT.md "Documents"; invisible → 404).

- public: every signed-in user; internal: staff (not councilors);
- confidential: members of the document's 課 and its 係, people on a related route
  (``hooks.route_document_ids``) and auditors (``audit.view_auditevent``);
- a document another app owns (``hooks.owned_documents``: chat attachments) is seen by whom
  that app says (the room's members) and auditors, whatever its classification.

The search package calls ``document_list_visible`` to filter hits and ``document_text`` for the
text to index. A refused confidential record is audited (``documents.denials``).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from django.db.models import Count, F, Q, QuerySet
from django.utils.translation import gettext as _

from audit.exceptions import NotFound
from audit.permissions import can_view_audit_log
from directory.models import OrgUnit
from directory.selectors import person_for_user
from documents import hooks, permissions
from documents.denials import access_denied_record
from documents.models import (
    Binder,
    Classification,
    DisposalRecord,
    Document,
    DocumentVersion,
    RegisterEntry,
    TextExtraction,
)


def _not_found() -> NotFound:
    return NotFound(_("Not found."))


def _visibility(user: Any, *, confidential_ids: set[int] | None = None) -> Q | None:
    """The filter of what ``user`` may see; None means everything (auditors)."""
    if can_view_audit_log(user):
        return None
    if not (user is not None and user.is_authenticated and user.is_active):
        return Q(pk__in=[])
    allowed = Q(classification=Classification.PUBLIC)
    if permissions.is_staff_member(user):
        allowed |= Q(classification=Classification.INTERNAL)
    units = permissions.member_unit_ids(user)
    if units:
        allowed |= Q(classification=Classification.CONFIDENTIAL, unit_id__in=units)
    if confidential_ids:
        allowed |= Q(pk__in=confidential_ids)
    return allowed


def route_ids_for(user: Any) -> set[int]:
    person = person_for_user(user)
    return set(hooks.route_document_ids(person)) if person is not None else set()


def document_list_visible(*, user: Any, include_disposed: bool = False) -> QuerySet[Document]:
    """The documents ``user`` may see; disposed ones only when asked."""
    documents = Document.objects.select_related("unit", "binder", "current_version", "created_by")
    if not include_disposed:
        documents = documents.filter(disposed_at__isnull=True)
    allowed = _visibility(user, confidential_ids=route_ids_for(user))
    if allowed is None:
        return documents
    if user is not None and user.is_authenticated and user.is_active:
        # Documents another app owns (chat attachments): that app alone says who sees them.
        for owned in hooks.owned_documents(user):
            allowed = (allowed & ~Q(pk__in=owned.owned)) | Q(pk__in=owned.visible)
    return documents.filter(allowed)


def document_get(*, user: Any, document_id: int) -> Document:
    """A document ``user`` may see (disposed ones included); raises NotFound otherwise."""
    document = (
        document_list_visible(user=user, include_disposed=True).filter(pk=document_id).first()
    )
    if document is None:
        access_denied_record(user=user, model=Document, object_id=document_id)
        raise _not_found()
    return document


def document_versions(document: Document) -> list[DocumentVersion]:
    return list(
        DocumentVersion.objects.filter(document=document)
        .select_related("blob", "uploaded_by", "extraction")
        .order_by("number")
    )


def version_get(*, document: Document, number: int | None = None) -> DocumentVersion:
    """Version ``number`` of the document (default: the current one); raises NotFound."""
    versions = DocumentVersion.objects.select_related("blob").filter(document=document)
    if number is None:
        if document.current_version_id is None:
            raise _not_found()
        version = versions.filter(pk=document.current_version_id).first()
    else:
        version = versions.filter(number=number).first()
    if version is None:
        raise _not_found()
    return version


def document_text(document_id: int) -> str:
    """The extracted (NFKC) text of the document's current version; "" when there is none."""
    row = (
        TextExtraction.objects.filter(
            version__document_id=document_id,
            version__document__current_version_id=F("version_id"),
            status=TextExtraction.Status.DONE,
        )
        .values_list("text", flat=True)
        .first()
    )
    return row or ""


def binder_list_visible(*, user: Any) -> QuerySet[Binder]:
    """Binders ``user`` may see (the same classification rules as documents)."""
    binders = Binder.objects.select_related("unit")
    allowed = _visibility(user)
    return binders if allowed is None else binders.filter(allowed)


def binder_get(*, user: Any, binder_id: int) -> Binder:
    binder = binder_list_visible(user=user).filter(pk=binder_id).first()
    if binder is None:
        access_denied_record(user=user, model=Binder, object_id=binder_id)
        raise _not_found()
    return binder


def binder_documents(*, user: Any, binder: Binder) -> QuerySet[Document]:
    return document_list_visible(user=user, include_disposed=True).filter(binder=binder)


def binder_tree(*, user: Any) -> list[tuple[OrgUnit, list[tuple[int, list[Binder]]]]]:
    """Visible binders grouped by 課, then fiscal year (newest first), with document counts."""
    binders = binder_list_visible(user=user).annotate(
        document_count=Count("documents", filter=Q(documents__disposed_at__isnull=True))
    )
    grouped: dict[OrgUnit, dict[int, list[Binder]]] = defaultdict(lambda: defaultdict(list))
    for binder in binders.order_by("unit__sort_order", "unit__name", "-fiscal_year", "title"):
        grouped[binder.unit][binder.fiscal_year].append(binder)
    return [(unit, sorted(years.items(), reverse=True)) for unit, years in grouped.items()]


def binders_due_for_disposal(
    unit: OrgUnit | None, on: date, *, include_held: bool = False
) -> QuerySet[Binder]:
    """Binders of ``unit`` (all units if None) whose retention is over on ``on``.

    Permanent (永年) binders never appear; binders under legal hold only with ``include_held``.
    """
    binders = (
        Binder.objects.select_related("unit")
        .filter(disposal_on__isnull=False, disposal_on__lt=on)
        .exclude(status=Binder.Status.DISPOSED)
    )
    if unit is not None:
        binders = binders.filter(unit=unit)
    if not include_held:
        binders = binders.filter(is_legal_hold=False)
    return binders.order_by("disposal_on", "unit__name", "title")


def disposal_records(*, binder: Binder | None = None) -> QuerySet[DisposalRecord]:
    records = DisposalRecord.objects.select_related("disposed_by")
    return records.filter(binder=binder) if binder is not None else records


def register_list(
    *, user: Any, kind: str, unit: OrgUnit | None = None, fiscal_year: int | None = None
) -> QuerySet[RegisterEntry]:
    """Register entries of the 課 the user belongs to (auditors: all)."""
    entries = RegisterEntry.objects.select_related("unit", "document", "registered_by").filter(
        kind=kind
    )
    if not can_view_audit_log(user):
        entries = entries.filter(unit_id__in=permissions.member_unit_ids(user))
    if unit is not None:
        entries = entries.filter(unit=unit)
    if fiscal_year is not None:
        entries = entries.filter(fiscal_year=fiscal_year)
    return entries.order_by("-fiscal_year", "-number")
