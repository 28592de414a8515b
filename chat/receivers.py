"""Signal receivers of the chat app: they only call chat's services."""

from __future__ import annotations

from typing import Any


def on_directory_changed(sender: Any, actor: Any = None, **kwargs: Any) -> None:
    """The directory sync changed units or posts: unit rooms follow, in the same transaction."""
    from chat.unit_rooms import unit_rooms_sync

    unit_rooms_sync(actor=actor)


def on_notification_saved(sender: Any, instance: Any, created: bool = False, **kwargs: Any) -> None:
    """A new in-app notification: the bell on open chat screens updates over the socket."""
    if created:
        from chat.system import notification_published

        notification_published(instance)


def connect() -> None:
    from django.db.models.signals import post_save

    from chat.system import on_approval_event
    from directory.models import Notification
    from directory.signals import directory_changed
    from workflow.engine.events import approval_event

    post_save.connect(on_notification_saved, sender=Notification, dispatch_uid="chat.bell")

    directory_changed.connect(on_directory_changed, dispatch_uid="chat.unit_rooms")
    approval_event.connect(on_approval_event, dispatch_uid="chat.approval_notices")
