"""The 収受 (incoming) and 発送 (outgoing) registers of each 課: writes."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.utils.translation import gettext as _

from audit import services as audit
from audit.exceptions import ValidationFailed
from audit.transactions import atomic_service
from directory.calendar import fiscal_year
from documents import hooks
from documents.models import Document, RegisterCounter, RegisterEntry
from documents.services import division_of


@atomic_service
def register_entry_create(
    *,
    actor: Any,
    kind: str,
    on: date,
    counterpart: str,
    subject: str,
    document: Document | None = None,
    proposal_id: int | None = None,
    request: Any = None,
) -> RegisterEntry:
    """Register an incoming (収受) or outgoing (発送) document in the actor's 課, numbered from 1
    per 課 per fiscal year without gaps. Raises PermissionRefused, ValidationFailed."""
    unit = division_of(actor)
    if kind not in RegisterEntry.Kind.values:
        raise ValidationFailed(_("Unknown register."))
    counterpart, subject = (counterpart or "").strip(), (subject or "").strip()
    if not counterpart or not subject or len(counterpart) > 200 or len(subject) > 200:
        raise ValidationFailed(_("Sender or addressee and subject are required."))
    if document is not None and document.unit_id != unit.pk:
        raise ValidationFailed(_("The document belongs to another division."))
    if proposal_id is not None:
        if kind != RegisterEntry.Kind.OUTGOING:
            raise ValidationFailed(_("Only outgoing documents link to a proposal."))
        if hooks.decided_proposal(actor, proposal_id) is None:
            raise ValidationFailed(_("Only a decided proposal can be issued."))
    fy = fiscal_year(on)
    counter, _created = RegisterCounter.objects.select_for_update(
        of=("self",), no_key=True
    ).get_or_create(kind=kind, unit=unit, fiscal_year=fy)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    entry = RegisterEntry.objects.create(
        kind=kind,
        unit=unit,
        fiscal_year=fy,
        number=counter.last_number,
        on=on,
        counterpart=counterpart,
        subject=subject,
        document=document,
        proposal_id=proposal_id,
        registered_by=actor,
    )
    audit.record(
        action=f"documents.register_{kind}",
        actor=actor,
        target=entry,
        request=request,
        details={"number": entry.number, "fiscal_year": fy, "proposal": proposal_id},
    )
    return entry
