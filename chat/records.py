"""Chat as records: retention purge, the auditors' compliance export, and filing messages into a
binder as a PDF transcript (the 2023 rule: chat about policy is an administrative document)."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.exceptions import NotFound, PermissionRefused, ValidationFailed
from audit.services import record
from audit.transactions import atomic_service
from chat.models import Message, MessageRevision, Receipt, RetentionPolicy, Room, RoomMember
from chat.permissions import can_manage_records
from chat.rendering import Transcript, TranscriptLine, render_transcript
from chat.selectors import display_name
from documents.search.index import index_delete

MAX_FILE_MESSAGES = 1000
MAX_EXPORT_ROWS = 100_000


def retention_days() -> dict[str, int]:
    days = dict(getattr(settings, "CHAT_RETENTION_DAYS", {}))
    days.update(dict(RetentionPolicy.objects.values_list("room_kind", "days")))
    return days


@atomic_service
def messages_purge(*, now: datetime | None = None, dry_run: bool = False) -> dict[str, int]:
    """Delete messages past their room type's retention period — never those filed as records or
    under legal hold (``chat.holds``: the flag or an active hold's criteria), nor a thread's
    root while a reply is kept. Audited. Returns counts."""
    from chat.holds import held_q

    now = now or timezone.now()
    held = held_q()
    counts: dict[str, int] = {}
    doomed = Message.objects.none()
    for kind, days in retention_days().items():
        if not days:
            continue
        old = Message.objects.filter(
            room__kind=kind,
            sent_at__lt=now - timedelta(days=days),
            filed_document__isnull=True,
        ).exclude(held)
        doomed = doomed | old
    keep_parents = Message.objects.filter(parent__isnull=False).exclude(pk__in=doomed.values("pk"))
    doomed = doomed.exclude(pk__in=keep_parents.values("parent_id"))
    ids = list(doomed.values_list("pk", flat=True))
    counts["messages"] = len(ids)
    if dry_run or not ids:
        return counts
    Message.objects.filter(parent_id__in=ids).update(parent=None)
    MessageRevision.objects.filter(message_id__in=ids).delete()
    Receipt.objects.filter(message_id__in=ids).delete()
    for pk in ids:
        index_delete(kind="chat", object_id=pk)
    Message.objects.filter(pk__in=ids).delete()
    record(
        action="chat.messages_purged",
        target_type="chat",
        target_id="retention",
        details={"messages": len(ids), "first": min(ids), "last": max(ids)},
    )
    return counts


# --- compliance export ---------------------------------------------------------------------------

EXPORT_FIELDS = [
    "room",
    "room_name",
    "message",
    "parent",
    "sender",
    "sent_at",
    "text",
    "edited_at",
    "deleted_at",
    "revisions",
    "mandatory",
    "legal_hold",
    "filed_document",
]


@atomic_service
def compliance_export(
    *,
    actor: Any,
    room_id: int | None = None,
    username: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> list[dict[str, Any]]:
    """Every message (the current text and every earlier one, deleted ones included) of a room
    and/or a person in a period, for a disclosure request. Auditors only; audited."""
    from chat.holds import held_message_ids

    if not can_manage_records(actor):
        raise PermissionRefused(_("Only auditors may export chat messages."))
    if room_id is None and not username:
        raise ValidationFailed(_("Name a room or a person."))
    qs = Message.objects.select_related("room", "sender").prefetch_related("revisions__actor")
    if room_id is not None:
        qs = qs.filter(room_id=room_id)
    if username:
        qs = qs.filter(
            Q(sender__username=username) | Q(room__memberships__user__username=username)
        ).distinct()
    if start:
        qs = qs.filter(sent_at__gte=start)
    if end:
        qs = qs.filter(sent_at__lt=end)
    rows = []
    held = held_message_ids(qs)
    for m in qs.order_by("pk")[:MAX_EXPORT_ROWS]:
        rows.append(
            {
                "room": m.room_id,
                "room_name": m.room.name,
                "message": m.pk,
                "parent": m.parent_id,
                "sender": m.sender.username if m.sender else None,
                "sent_at": m.sent_at.isoformat(),
                "text": m.text,
                "edited_at": m.edited_at.isoformat() if m.edited_at else None,
                "deleted_at": m.deleted_at.isoformat() if m.deleted_at else None,
                "revisions": [
                    {
                        "action": r.action,
                        "text": r.text,
                        "by": r.actor.username,
                        "at": r.at.isoformat(),
                    }
                    for r in m.revisions.all()
                ],
                "mandatory": m.is_mandatory,
                "legal_hold": m.pk in held,
                "filed_document": m.filed_document_id,
            }
        )
    record(
        action="chat.exported",
        actor=actor,
        target_type="chat",
        target_id=str(room_id or ""),
        details={
            "room": room_id,
            "person": username or None,
            "from": start.isoformat() if start else None,
            "to": end.isoformat() if end else None,
            "messages": len(rows),
        },
    )
    return rows


def export_csv(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=EXPORT_FIELDS)
    writer.writeheader()
    for row in rows:
        flat = dict(row)
        flat["revisions"] = " | ".join(
            f"{r['action']} {r['at']} {r['by']}: {r['text']}" for r in row["revisions"]
        )
        writer.writerow(flat)
    return out.getvalue()


# --- file as record ------------------------------------------------------------------------------


def _labels() -> dict[str, str]:
    return {
        "room": _("Room"),
        "unit": _("Unit"),
        "period": _("Period"),
        "participants": _("Participants"),
        "filed": _("Filed"),
    }


def _local(dt: datetime) -> str:
    return timezone.localtime(dt).strftime("%Y-%m-%d %H:%M")


@atomic_service
def messages_file_as_record(
    *,
    actor: Any,
    room_id: int,
    message_ids: list[int] | None = None,
    thread_id: int | None = None,
    binder: Any = None,
    title: str = "",
) -> Any:
    """File selected messages (or a whole thread) into a binder as a PDF transcript naming the
    date, unit, participants and message ids; the messages are marked as filed (never purged).
    Members of the room only (NotFound otherwise); the binder rules are documents' (403)."""
    from documents.services import document_upload

    room = Room.objects.filter(pk=room_id, memberships__user=actor).select_related("unit").first()
    if room is None:
        raise NotFound(_("No such room."))
    qs = Message.objects.filter(room=room).select_related("sender__person")
    if thread_id is not None:
        qs = qs.filter(Q(pk=thread_id) | Q(parent_id=thread_id))
    elif message_ids:
        qs = qs.filter(pk__in=message_ids)
    else:
        raise ValidationFailed(_("Choose messages or a thread to file."))
    messages = list(qs.order_by("pk")[:MAX_FILE_MESSAGES])
    if not messages:
        raise ValidationFailed(_("None of these messages is in this room."))
    senders = {display_name(m.sender) for m in messages}
    members = {
        display_name(rm.user)
        for rm in RoomMember.objects.filter(room=room).select_related("user__person")
    }
    lines = [
        TranscriptLine(
            message_id=m.pk,
            sent_at=_local(m.sent_at),
            sender=display_name(m.sender),
            text="" if m.deleted_at else m.text,
            note=_("deleted") if m.deleted_at else (_("edited") if m.edited_at else ""),
        )
        for m in messages
    ]
    title = (title or "").strip() or _("Chat record: %(room)s") % {"room": room.name}
    transcript = Transcript(
        title=title,
        room=room.name or _("Direct messages"),
        unit=room.unit.name if room.unit else "—",
        participants=sorted(senders | members),
        period=f"{_local(messages[0].sent_at)} – {_local(messages[-1].sent_at)}",
        filed_by=display_name(actor),
        filed_at=_local(timezone.now()),
        lines=lines,
        labels=_labels(),
    )
    pdf = render_transcript(transcript)
    document = document_upload(
        actor=actor,
        content=io.BytesIO(pdf),
        name="chat-record.pdf",
        size_bytes=len(pdf),
        title=title[:200],
        binder=binder,
    )
    Message.objects.filter(pk__in=[m.pk for m in messages]).update(filed_document=document)
    record(
        action="chat.filed_as_record",
        actor=actor,
        target=room,
        details={"document": document.pk, "messages": [m.pk for m in messages]},
    )
    return document
