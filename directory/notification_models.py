"""In-app notifications: one row per message to one person (approval tasks, send-backs,
decisions; chat and council later).

Imported at the end of ``directory/models.py`` so that Django registers the model with the
directory app. Written only through ``directory/notifications.py``.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = ["Notification"]


class Notification(models.Model):
    """A message for one person; ``read_at`` is set once they have seen it."""

    recipient = models.ForeignKey(
        "directory.Person",
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    # A dotted code of the module and event, e.g. ``workflow.task_created``.
    kind = models.CharField(_("kind"), max_length=50)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"), blank=True)
    url = models.CharField(_("link"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    # What the notification is about, e.g. ``workflow.step:42`` for a task: when that ends for
    # any reason (done by someone else, the proposal cancelled) the notification is resolved.
    subject_key = models.CharField(_("about"), max_length=100, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            # The header badge (my unread count) and my list, newest first.
            models.Index(fields=["recipient", "read_at"]),
            models.Index(fields=["recipient", "-created_at"]),
            models.Index(
                fields=["subject_key"],
                condition=models.Q(resolved_at__isnull=True) & ~models.Q(subject_key=""),
                name="directory_notif_open_subject",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.recipient_id}: {self.title}"
