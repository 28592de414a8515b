"""Chat messages in the records' search (documents.search): the ``chat`` kind, registered from
``ChatConfig.ready()``. Visible: messages of the rooms one belongs to — auditors included, who
use the compliance export instead."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from audit.transactions import run_atomic
from chat.models import Message
from documents.search.engine import IndexEntry
from documents.search.index import index_delete, index_upsert
from documents.search.kinds import WALK_BATCH, SearchKind, register_kind
from documents.search.query import Visible

KIND = "chat"


def message_entry(message: Message) -> IndexEntry:
    return IndexEntry(
        kind=KIND,
        object_id=message.pk,
        title=message.room.name[:200] or str(_("Direct messages")),
        text=message.text,
        owner_unit_id=message.room.unit_id,
        classification="internal",
    )


def message_index(message: Message) -> None:
    """Called by chat's services inside their transaction (send, edit; delete removes). The
    index is written right after the commit, in a transaction of its own: after the wake-ups,
    so delivery does not wait for it, and never for a change that was rolled back
    (``manage.py search_reindex`` repairs one lost to a crash in between)."""
    transaction.on_commit(lambda: run_atomic(lambda: _index_now(message)))


def _index_now(message: Message) -> None:
    if message.deleted_at is not None:
        index_delete(kind=KIND, object_id=message.pk)
        return
    e = message_entry(message)
    index_upsert(
        kind=e.kind,
        object_id=e.object_id,
        title=e.title,
        text=e.text,
        owner_unit_id=e.owner_unit_id,
        classification=e.classification,
    )


def _visible(user: Any) -> Visible:
    return Visible(ids=Message.objects.filter(room__memberships__user=user).values("id"))


def _walk() -> Iterator[IndexEntry]:
    messages = Message.objects.filter(deleted_at__isnull=True).select_related("room")
    for message in messages.order_by("pk").iterator(chunk_size=WALK_BATCH):
        yield message_entry(message)


def _url(pk: int) -> str | None:
    room_id = Message.objects.filter(pk=pk).values_list("room_id", flat=True).first()
    return f"/chat/rooms/{room_id}/#m{pk}" if room_id else None


def register() -> None:
    register_kind(
        SearchKind(name=KIND, label=_("Chat"), visible_for=_visible, walk=_walk, url_for=_url)
    )
