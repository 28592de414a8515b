"""Persist, then publish: a stored ``MeetingEvent`` wakes the consumers of its meeting's group.

The channel layer carries only the event id; each consumer reads the event and decides, for its
own user, whether they may see it (a ``goto`` to a material not yet published for them is not
sent). Across processes on Redis every consumer of the meeting receives the id.
"""

from __future__ import annotations

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

logger = logging.getLogger(__name__)


def group_name(meeting_id: int) -> str:
    return f"council.meeting.{int(meeting_id)}"


def publish_event(event) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    message = {"type": "council.event", "event_id": event.pk}
    try:
        async_to_sync(layer.group_send)(group_name(event.meeting_id), message)
    except Exception:  # stored already: clients resync from last_event_id
        logger.exception("publishing council event %s failed", event.pk)
