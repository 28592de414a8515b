"""Approval events in chat: each person's system room (お知らせ) gets a message with a card for
a new task, a send-back, a decision and a 後閲 item. Approving or sending back from the card
calls workflow's own API (same services, same permission checks).

``on_approval_event`` is connected to ``workflow.engine.events.approval_event`` in
``ChatConfig.ready``;
workflow sends it after its commit, and the notice is stored in a transaction of its own.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from audit.transactions import atomic_service
from chat.events import message_payload
from chat.models import Message, Room, RoomMember
from realtime.services import Outgoing, publish, user_stream_key


def _system_room(user_id: int) -> Room:
    room, created = Room.objects.get_or_create(
        pair_key=f"sys:{user_id}", defaults={"kind": Room.Kind.SYSTEM, "name": _("Notices")}
    )
    if created:
        RoomMember.objects.create(room=room, user_id=user_id)
    return room


@atomic_service
def system_notice_post(*, user_id: int, text: str, card: dict[str, Any]) -> Message:
    """A message from Kairan in the user's system room, delivered like any chat message."""
    room = _system_room(user_id)
    created = not Message.objects.filter(room=room).exists()
    message = Message.objects.create(room=room, sender=None, text=text, card=card)
    events = [Outgoing(user_stream_key(user_id), "message", message_payload(message))]
    if created:
        from chat.events import room_payload

        events.insert(0, Outgoing(user_stream_key(user_id), "room_joined", room_payload(room)))
    publish(events)
    return message


def _user_ids(person_ids: list[int]) -> list[int]:
    from directory.models import Person

    return list(
        Person.objects.filter(pk__in=person_ids, is_active=True).values_list("user_id", flat=True)
    )


def notices_for(event: Any) -> list[tuple[list[int], str, dict[str, Any]]]:
    """(person ids, text, card) for an approval event; empty for events chat does not show."""
    from workflow.engine.events import (
        ApprovalEvent,
        ProposalDecided,
        ProposalSentBack,
        ProposalTaskCreated,
    )

    if not isinstance(event, ApprovalEvent):
        return []  # a DX action plan's event: no proposal card
    base = {"proposal": event.proposal_id, "title": event.title}
    if isinstance(event, ProposalTaskCreated):
        return [
            (
                [event.approver_id, *event.deputy_ids],
                _("New task: %(title)s") % {"title": event.title},
                {**base, "type": "task", "task": event.step_id, "kind": event.kind},
            )
        ]
    if isinstance(event, ProposalSentBack):
        return [
            (
                [event.drafter_id],
                _("Sent back: %(title)s — %(comment)s")
                % {"title": event.title, "comment": event.comment},
                {**base, "type": "sent_back"},
            )
        ]
    if isinstance(event, ProposalDecided):
        approved = event.outcome == ProposalDecided.APPROVED
        out = [
            (
                [event.drafter_id],
                (_("Approved: %(title)s (%(number)s)") if approved else _("Rejected: %(title)s"))
                % {"title": event.title, "number": event.document_number},
                {
                    **base,
                    "type": "decided",
                    "outcome": event.outcome,
                    "number": event.document_number,
                },
            )
        ]
        if event.acting_for_id:
            out.append(
                (
                    [event.acting_for_id],
                    _("Post-review (後閲): %(title)s was decided on your behalf")
                    % {"title": event.title},
                    {**base, "type": "post_review"},
                )
            )
        return out
    return []


def on_approval_event(sender: Any, event: Any, **kwargs: Any) -> None:
    for person_ids, text, card in notices_for(event):
        for user_id in _user_ids(person_ids):
            system_notice_post(user_id=user_id, text=text, card=card)


def notification_published(notification: Any) -> None:
    """The header bell over the chat socket: a new in-app notification (directory's) becomes a
    ``notification`` event with the recipient's unread count, in the notification's
    transaction."""
    from django.db import connection

    from directory.notifications import notifications_unread_count

    if not connection.in_atomic_block:
        return  # created outside a transaction (bulk tools): the page shows it on next load
    person = notification.recipient
    publish(
        [
            Outgoing(
                user_stream_key(person.user_id),
                "notification",
                {
                    "title": notification.title,
                    "url": notification.url,
                    "unread": notifications_unread_count(person),
                },
            )
        ]
    )
