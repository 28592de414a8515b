"""Reads of the realtime app."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from realtime.models import Event, Stream


def stream_ensure(key: str) -> tuple[int, int]:
    """The id and current ``last_seq`` of a stream, creating it empty if needed."""
    stream = Stream.objects.filter(key=key).values_list("pk", "last_seq").first()
    if stream is None:
        try:
            with transaction.atomic():
                Stream.objects.create(key=key)
        except IntegrityError:
            pass  # created meanwhile by someone else
        stream = Stream.objects.filter(key=key).values_list("pk", "last_seq").get()
    return stream[0], stream[1]


def stream_head(stream_id: int) -> int:
    return Stream.objects.filter(pk=stream_id).values_list("last_seq", flat=True).first() or 0


def stream_heads(stream_ids: list[int]) -> dict[int, int]:
    """``{stream id: last_seq}`` for many streams in one query."""
    return dict(Stream.objects.filter(pk__in=stream_ids).values_list("pk", "last_seq"))


def events_after(*, stream_id: int, after: int, limit: int) -> list[tuple[int, str, dict]]:
    """Stored events of a stream with ``seq > after``, oldest first, at most ``limit``."""
    rows = (
        Event.objects.filter(stream_id=stream_id, seq__gt=after)
        .order_by("seq")
        .values_list("seq", "kind", "payload")[:limit]
    )
    return list(rows)


def stream_head_for_key(key: str) -> int:
    """The current ``last_seq`` of a stream by key (0 for one that does not exist yet)."""
    return Stream.objects.filter(key=key).values_list("last_seq", flat=True).first() or 0
