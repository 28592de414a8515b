"""Canonical serialisation and hashing of audit events. Pure functions, no database access.

The hash must come out the same when an event is recomputed from what the database hands back,
years later, on another Python or database version. So every field is reduced to one canonical
text: times in UTC with microseconds, client addresses as numbers rather than as the database
prints them, JSON with sorted keys and no whitespace. ``audit.services`` stores details already in
a form that survives a database round trip (see ``json_safe``).
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import math
from datetime import UTC, datetime
from typing import Any

GENESIS_HASH = "0" * 64


def canonical_time(at: datetime) -> str:
    """UTC, microseconds always present: the same instant always serialises to the same text."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_address(address: str | None) -> str | None:
    """One spelling per address: PostgreSQL prints ``::ffff:1.2.3.4`` where Python prints
    ``::ffff:102:304``, and Python 3.13 changed its own spelling, so IPv6 is hashed as 32 hex
    digits. Text that is not an address (only ever from tampering) is hashed as it is."""
    if not address:
        return None
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if parsed.version == 4:
        return str(parsed)
    digits = f"{int(parsed):032x}"
    return ":".join(digits[i : i + 4] for i in range(0, 32, 4))


def json_safe(value: Any) -> Any:
    """``value`` (plain JSON data) in the form every supported database gives back unchanged.

    PostgreSQL's jsonb keeps numbers as decimals: ``1.5e300`` comes back as a 301-digit integer,
    so whole floats are stored as integers. NUL characters are refused by PostgreSQL and lone
    surrogates cannot be encoded, so text is made valid. Non-finite floats raise ``ValueError``.
    """
    if isinstance(value, dict):
        return {safe_text(str(k)): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, str):
        return safe_text(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("audit details cannot hold NaN or infinity")
        return int(value) if value.is_integer() else value
    return value


def safe_text(text: str) -> str:
    """``text`` without what a database or UTF-8 refuses (NUL, lone surrogates)."""
    return text.replace("\x00", "\ufffd").encode("utf-8", "replace").decode("utf-8")


def canonical_bytes(
    *,
    seq: int,
    at: datetime,
    actor_id: int | None,
    actor_username: str,
    action: str,
    target_type: str,
    target_id: str,
    client_address: str | None,
    details: Any,
    prev_hash: str,
) -> bytes:
    """The exact bytes that are hashed for one event."""
    payload = {
        "seq": seq,
        "at": canonical_time(at),
        "actor_id": actor_id,
        "actor": actor_username,
        "action": action,
        "target_type": target_type,
        "target_id": target_id,
        "client_address": canonical_address(client_address),
        "details": details,
        "prev_hash": prev_hash,
    }
    return json.dumps(
        payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False
    ).encode("utf-8")


def event_hash(**fields: Any) -> str:
    """SHA-256 (hex) of the event's canonical bytes; ``fields`` as for ``canonical_bytes``."""
    return hashlib.sha256(canonical_bytes(**fields)).hexdigest()
