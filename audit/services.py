"""Writing to the audit log. Every app records its state changes through ``record``.

``record`` must run inside the transaction of the change it describes: if the change rolls back,
so does its event. Appends lock the chain head row (``SELECT ... FOR UPDATE`` on PostgreSQL; on
SQLite the IMMEDIATE write transaction already serialises writers), so concurrent writers still
form one unbroken chain.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, models, transaction
from django.http import HttpRequest
from django.utils import timezone

from audit.chain import GENESIS_HASH, event_hash, json_safe, safe_text
from audit.context import current_client_address
from audit.models import AuditChainHead, AuditEvent

# What the audit app itself records: an auditor's reading of the log is on the record too.
ACTION_VIEWED = "audit.viewed"
ACTION_EXPORTED = "audit.exported"
ACTION_VERIFIED = "audit.verified"

_ACTION_MAX_LENGTH = 100


@dataclass(frozen=True)
class EventSpec:
    """One event to append; ``record_many`` takes a batch of these under one lock."""

    action: str
    actor: Any = None
    target: models.Model | None = None
    target_type: str = ""
    target_id: str | int = ""
    details: dict[str, Any] = field(default_factory=dict)
    client_address: str | None = None


def client_address_of(request: HttpRequest | None) -> str | None:
    """The client's address; X-Forwarded-For only when a trusted reverse proxy sets it."""
    if request is None:
        return None
    meta = getattr(request, "META", {})
    if getattr(settings, "TRUST_X_FORWARDED_FOR", False):
        forwarded = meta.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[0].strip() or None
    return meta.get("REMOTE_ADDR") or None


def record(
    *,
    action: str,
    actor: Any = None,
    target: models.Model | None = None,
    target_type: str = "",
    target_id: str | int = "",
    details: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
    client_address: str | None = None,
) -> AuditEvent:
    """Append one event to the chain and return it. ``actor`` is a user (or None for the system).

    Call it inside the transaction of the change it describes. Raises ``ValueError`` for an
    empty or over-long action or a NaN in details, ``TypeError`` for details JSON cannot hold.
    """
    spec = EventSpec(
        action=action,
        actor=actor,
        target=target,
        target_type=target_type,
        target_id=target_id,
        details=details or {},
        client_address=client_address or client_address_of(request),
    )
    return record_many([spec])[0]


def record_many(specs: Iterable[EventSpec]) -> list[AuditEvent]:
    """Append several events in order under one lock of the chain head (e.g. a directory sync).

    Bad input (an empty or long action, details that are not JSON) raises before anything is
    written. The write runs inside the caller's transaction without a savepoint of its own:
    an event that cannot be written fails the caller's whole change, never only itself.
    """
    fields = [_fields_of(spec) for spec in specs]
    if not fields:
        return []
    with transaction.atomic(savepoint=False):
        head = _locked_head()
        now = timezone.now()
        events: list[AuditEvent] = []
        seq, prev = head.last_seq, head.last_hash
        for event_fields in fields:
            seq += 1
            digest = event_hash(seq=seq, at=now, prev_hash=prev, **event_fields)
            events.append(AuditEvent(seq=seq, at=now, prev_hash=prev, hash=digest, **event_fields))
            prev = digest
        AuditEvent.objects.bulk_create(events, batch_size=500)
        head.last_seq, head.last_hash = seq, prev
        head.save(update_fields=["last_seq", "last_hash"])
    return events


def _locked_head() -> AuditChainHead:
    head = AuditChainHead.objects.select_for_update(of=("self",), no_key=True).filter(pk=1).first()
    if head is not None:
        return head
    # First event ever (or after a test flush): create the head; a concurrent creator wins the
    # primary key and we lock theirs instead.
    try:
        with transaction.atomic():
            AuditChainHead.objects.create(pk=1, last_seq=0, last_hash=GENESIS_HASH)
    except IntegrityError:
        pass
    return AuditChainHead.objects.select_for_update(of=("self",), no_key=True).get(pk=1)


def _fields_of(spec: EventSpec) -> dict[str, Any]:
    if not spec.action or len(spec.action) > _ACTION_MAX_LENGTH:
        raise ValueError(f"audit action must be 1-{_ACTION_MAX_LENGTH} characters: {spec.action!r}")
    actor = spec.actor
    is_real_user = actor is not None and getattr(actor, "is_authenticated", False)
    target_type, target_id = spec.target_type, spec.target_id
    if spec.target is not None:
        target_type = target_type or spec.target._meta.label_lower
        target_id = target_id or spec.target.pk
    # Round-trip through JSON (Decimal and datetime become text) and into the form the database
    # gives back unchanged, so what we hash is exactly what verification will read.
    details = json_safe(
        json.loads(json.dumps(spec.details, cls=DjangoJSONEncoder, ensure_ascii=False))
    )
    return {
        "actor_id": actor.pk if is_real_user else None,
        "actor_username": safe_text(actor.get_username())[:150] if is_real_user else "",
        "action": safe_text(spec.action),
        "target_type": safe_text(str(target_type))[:100],
        "target_id": safe_text(str(target_id))[:100],
        # No address given: the one of the request being served (audit.middleware), if any.
        "client_address": _valid_address(spec.client_address or current_client_address.get()),
        "details": details,
    }


def _valid_address(address: str | None) -> str | None:
    """The address if it is one; else None. A proxy may send "unknown" or "host:port", and
    PostgreSQL's inet column would refuse it and with it the change being recorded."""
    if not address:
        return None
    try:
        parsed = ipaddress.ip_address(address.strip())
    except ValueError:
        return None
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.scope_id:
        parsed = ipaddress.IPv6Address(int(parsed))  # inet has no zone index ("%eth0")
    return str(parsed)
