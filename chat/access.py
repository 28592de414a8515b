"""Who sees a chat attachment in the records: the members of its message's room (and auditors).

An attachment is stored as a document through the documents services, so the records'
screens, downloads, page previews and search reach it too. Documents never imports chat: it
asks this resolver, registered with ``documents.hooks.register_owner`` in ``ChatConfig.ready``.
The uploader's 課 does not see it for being the owning unit; a member removed from the room,
or a deleted message, loses it at once (the answer is a subquery, read with every request).
"""

from __future__ import annotations

from typing import Any

from chat.models import Message
from documents.hooks import OwnedDocuments, register_owner

OWNER = "chat"


def attachment_access(user: Any) -> OwnedDocuments:
    attached = Message.objects.filter(attachment__isnull=False)
    return OwnedDocuments(
        owned=attached.values("attachment_id"),
        visible=attached.filter(room__memberships__user=user, deleted_at__isnull=True).values(
            "attachment_id"
        ),
    )


def register() -> None:
    register_owner(OWNER, attachment_access)
