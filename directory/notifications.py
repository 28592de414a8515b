"""Notifications: writes and reads of the in-app ``Notification`` rows, and the e-mail copy.

Any module may notify a person: ``notification_create(recipient=..., kind=..., title=...)``.
Reads are scoped to the person: nobody sees or marks another person's notifications.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.conf import settings
from django.core.mail import send_mail
from django.db.models import QuerySet, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from audit.transactions import atomic_service
from directory.models import Notification, Person

logger = logging.getLogger(__name__)

__all__ = [
    "email_configured",
    "notification_create",
    "notification_email",
    "notifications_for",
    "notifications_mark_read",
    "notifications_owned",
    "notifications_resolve",
    "notifications_unread_count",
]


@atomic_service
def notification_create(
    *,
    recipient: Person,
    kind: str,
    title: str,
    body: str = "",
    url: str = "",
    subject_key: str = "",
) -> Notification:
    """Store an in-app notification for ``recipient`` (shown in the header bell).

    ``subject_key`` names what it asks of the person (``workflow.step:42``): once that is over,
    ``notifications_resolve`` closes every notification about it.
    """
    notification = Notification(
        recipient=recipient,
        kind=kind,
        title=title[:200],
        body=body,
        url=url[:500],
        subject_key=subject_key[:100],
    )
    notification.save()
    return notification


def notifications_resolve(*, subject_keys: Iterable[str]) -> int:
    """Close the open notifications about these subjects (a task done by someone else, a
    proposal cancelled): they leave the unread count and show as resolved. Returns how many.

    Runs inside the caller's transaction, so the notifications close with the change itself.
    """
    keys = [key for key in subject_keys if key]
    if not keys:
        return 0
    now = timezone.now()
    # One statement: an unread one is also marked read (it leaves the unread count).
    return Notification.objects.filter(subject_key__in=keys, resolved_at__isnull=True).update(
        read_at=Coalesce("read_at", Value(now)), resolved_at=now
    )


SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"


def email_configured() -> bool:
    """Whether notifications get an e-mail copy at all: a mail server is named
    (``KAIRAN_EMAIL_HOST``), or a backend other than SMTP was chosen (console, file, the
    tests' locmem). Without either, notifications are in-app only and no mail is attempted."""
    return bool(settings.EMAIL_HOST) or settings.EMAIL_BACKEND != SMTP_BACKEND


def notification_email(*, recipient: Person, subject: str, body: str) -> bool:
    """Send the e-mail copy of a notification when mail is configured and the person has an
    address.

    A mail failure is logged and reported as False; it never propagates (the approval it
    announces is already committed). Returns True when a message was handed to the backend.
    """
    if not recipient.email or not email_configured():
        return False
    try:
        send_mail(
            subject=" ".join(subject.split()),  # no line breaks in a header
            message=body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[recipient.email],
            fail_silently=False,
        )
    except Exception:
        logger.exception("Notification e-mail to person %s failed", recipient.pk)
        return False
    return True


@atomic_service
def notifications_mark_read(
    *, person: Person, ids: Iterable[int] | None = None, all: bool = False
) -> int:
    """Mark ``person``'s unread notifications read: those of ``ids``, or every one with
    ``all=True``. Ids of other people's notifications are ignored. Returns how many changed."""
    unread = Notification.objects.filter(recipient=person, read_at__isnull=True)
    if not all:
        unread = unread.filter(pk__in=list(ids or []))
    return unread.update(read_at=timezone.now())


def notifications_unread_count(person: Person | None) -> int:
    """How many of the person's notifications are unread (0 for nobody)."""
    if person is None:
        return 0
    return Notification.objects.filter(recipient=person, read_at__isnull=True).count()


def notifications_for(person: Person, limit: int = 50) -> QuerySet[Notification]:
    """The person's notifications, newest first, at most ``limit``."""
    return Notification.objects.filter(recipient=person).order_by("-created_at", "-id")[:limit]


def notifications_owned(person: Person, ids: Iterable[int]) -> set[int]:
    """Those of ``ids`` that are the person's own notifications."""
    return set(
        Notification.objects.filter(recipient=person, pk__in=list(ids)).values_list("pk", flat=True)
    )
