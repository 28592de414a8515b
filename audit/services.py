"""Writing to the audit log. Every app records its state changes through ``record``.

``record`` must run inside the transaction of the change it describes: if the change rolls back,
so does its event. Events are put on the hash chain under a lock of the chain head row, inside
a service's transaction only at its very end (``audit.chaining``), so concurrent writers form
one unbroken chain in commit order without waiting for each other's whole transactions.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.http import HttpRequest

from audit import chaining
from audit.chain import json_safe, safe_text
from audit.context import current_client_address
from audit.models import AuditEvent

# What the audit app itself records: an auditor's reading of the log is on the record too.
ACTION_VIEWED = "audit.viewed"
ACTION_EXPORTED = "audit.exported"
ACTION_VERIFIED = "audit.verified"

_ACTION_MAX_LENGTH = 100


@dataclass(frozen=True)
class EventSpec:
    """One event to append; ``record_many`` takes a batch of these."""

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

    Call it inside the transaction of the change it describes; inside a service's transaction
    the event is chained (gets its ``seq`` and ``hash``) just before that transaction commits.
    Raises ``ValueError`` for an empty or over-long action or a NaN in details, ``TypeError``
    for details JSON cannot hold.
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
    """Append several events in order, one after another on the chain (e.g. a directory sync).

    Bad input (an empty or long action, details that are not JSON) raises before anything is
    kept. Inside a service's transaction (``audit.transactions.run_atomic``) the events are
    chained at its very end, just before COMMIT (``audit.chaining``): until then the returned
    events have no ``seq``/``hash``, and they vanish with a rolled-back savepoint. Elsewhere they
    are chained at once, in the caller's transaction, without a savepoint of their own: an event
    that cannot be written fails the caller's whole change, never only itself.
    """
    events = [AuditEvent(**_fields_of(spec)) for spec in specs]
    if events:
        chaining.append(events)
    return events


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
