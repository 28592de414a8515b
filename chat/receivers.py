"""Signal receivers of the chat app: they only call chat's services."""

from __future__ import annotations

from typing import Any


def on_directory_changed(sender: Any, actor: Any = None, **kwargs: Any) -> None:
    """The directory sync changed units or posts: unit rooms follow, in the same transaction."""
    from chat.unit_rooms import unit_rooms_sync

    unit_rooms_sync(actor=actor)


def connect() -> None:
    from chat.system import on_approval_event
    from directory.signals import directory_changed
    from workflow.events import approval_event

    directory_changed.connect(on_directory_changed, dispatch_uid="chat.unit_rooms")
    approval_event.connect(on_approval_event, dispatch_uid="chat.approval_notices")
