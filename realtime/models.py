"""Stored events: every realtime event is a row before it is sent (persist-then-publish).

A ``Stream`` is one ordered sequence of events (e.g. one person's chat events, ``user.17``).
Its ``last_seq`` is advanced under the stream row's lock inside the transaction of the change,
so sequence numbers within a stream are gapless and commit in order: when seq N is visible,
every seq below N is visible too (or was purged). That is what makes "everything after N" a
safe resume point, unlike a global id sequence whose values commit out of order.
"""

from __future__ import annotations

import functools
import hashlib

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Stream(models.Model):
    key = models.CharField(_("key"), max_length=200, unique=True)
    last_seq = models.BigIntegerField(_("last sequence number"), default=0)

    class Meta:
        verbose_name = _("event stream")
        verbose_name_plural = _("event streams")

    def __str__(self) -> str:
        return f"{self.key} @{self.last_seq}"

    @property
    def group_name(self) -> str:
        return group_name_for(self.pk)


def group_name_for(stream_id: int) -> str:
    """The channel-layer group whose members are the open connections reading a stream.

    Named after the database too: Redis pub/sub channels are not per Redis database, so two
    Kairan installations (or test runs) sharing one Redis must not wake each other's streams.
    """
    return f"realtime.{_database_tag()}.{stream_id}"


def fanout_group_name() -> str:
    """The group every connection of this installation joins: wake-ups of many streams at once."""
    return f"realtime.{_database_tag()}.all"


@functools.cache
def _database_tag() -> str:
    db = settings.DATABASES["default"]
    ident = f"{db.get('ENGINE')}|{db.get('HOST')}|{db.get('PORT')}|{db.get('NAME')}"
    return hashlib.sha256(ident.encode()).hexdigest()[:12]


class Event(models.Model):
    stream = models.ForeignKey(
        Stream, verbose_name=_("stream"), on_delete=models.CASCADE, related_name="events"
    )
    seq = models.BigIntegerField(_("sequence number"))
    kind = models.CharField(_("kind"), max_length=50)
    payload = models.JSONField(_("payload"), default=dict)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        constraints = [
            models.UniqueConstraint(fields=["stream", "seq"], name="realtime_event_stream_seq")
        ]

    def __str__(self) -> str:
        return f"{self.stream_id}#{self.seq} {self.kind}"
