"""Reading the audit log: verifying the hash chain, and the auditor's lists.

Visibility is all or nothing: the permission ``audit.view_auditevent`` (auditors, superusers)
shows the whole log; the auditor pages answer 404 to everybody else (``audit.permissions``).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Generator, Iterator
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, cast

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Count, Exists, F, Max, Min, Q, QuerySet, Subquery, Value
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Replace
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.chain import GENESIS_HASH, event_hash
from audit.kana import is_kana, romaji_spellings
from audit.labels import REFUSED_SUFFIXES, SIGN_IN_FAILURES
from audit.models import AuditChainHead, AuditEvent

VIEWED_ACTION = "audit.viewed"
USER_TARGET = "auth.user"
KIND_SIGN_IN_FAILURES = "sign_in_failures"
KIND_REFUSED = "refused"

# The stored fields that go into an event's hash (plus id, to name a bad event).
_CHAIN_FIELDS = (
    "id",
    "seq",
    "at",
    "actor_id",
    "actor_username",
    "action",
    "target_type",
    "target_id",
    "client_address",
    "details",
    "prev_hash",
    "hash",
)


# --- Verification ---------------------------------------------------------------------------


@dataclass(frozen=True)
class VerifyResult:
    """What ``chain_verify`` found. ``head_hash`` is the hash to write down when ``ok``.

    When not ``ok``: ``first_bad_seq``/``first_bad_id`` name the first bad event (the id is None
    when the event is missing), ``problem`` is a stable code and ``reason`` says it in words.
    """

    ok: bool
    count: int
    first_bad_seq: int | None
    reason: str
    head_hash: str
    first_bad_id: int | None = None
    problem: str = ""
    anchor_seq: int | None = None


# Stable codes of VerifyResult.problem.
MISSING = "missing"
BAD_SEQ = "bad_seq"
BEYOND_HEAD = "beyond_head"
CHANGED = "changed"
LINK_BROKEN = "link_broken"
HEAD_MISSING = "head_missing"
HEAD_MISMATCH = "head_mismatch"
ANCHOR_NOT_FOUND = "anchor_not_found"


def chain_verify(*, batch_size: int = 2000, expect_head: str | None = None) -> VerifyResult:
    """Recompute the whole chain in seq order and compare its tail with the chain head.

    Detects changed, deleted, inserted and reordered events, a deleted tail and events appended
    without the head lock. With ``expect_head`` (a head hash written down earlier) the chain must
    still contain that hash, which also catches a wholesale rewrite. Streams in ``batch_size``
    rows, so memory stays constant however long the log is.
    """
    expect_head = (expect_head or "").strip().lower() or None
    attempts = 1
    while (
        result := _verify_once(
            batch_size=batch_size, expect_head=expect_head, may_retry=attempts < 3
        )
    ) is None:
        attempts += 1
    return result


def _verify_once(
    *, batch_size: int, expect_head: str | None, may_retry: bool
) -> VerifyResult | None:
    """One pass; None asks for another pass (the very first events were appended meanwhile)."""
    head = AuditChainHead.objects.filter(pk=1)
    # One statement reads the head and every event: it sees one snapshot, so writers appending
    # meanwhile can neither look like a deleted tail nor like events beyond the head.
    rows = (
        AuditEvent.objects.order_by("seq")
        .annotate(
            head_seq=Subquery(head.values("last_seq")[:1]),
            head_last_hash=Subquery(head.values("last_hash")[:1]),
        )
        .values_list(*_CHAIN_FIELDS, "head_seq", "head_last_hash", named=True)
    )
    walk = _ChainWalk(expect_head=expect_head)
    # On PostgreSQL a transaction makes iterator() use a streaming server-side cursor. On SQLite
    # the statement streams anyway, and a transaction would take the write lock (IMMEDIATE).
    in_transaction = transaction.atomic() if connection.vendor == "postgresql" else nullcontext()
    with in_transaction:
        # A generator: closed explicitly so an early return releases the server-side cursor.
        iterator = cast(Generator[Any, None, None], rows.iterator(chunk_size=batch_size))
        try:
            for row in iterator:
                if walk.head is None:
                    walk.head = (row.head_seq, row.head_last_hash)
                if (bad := walk.step(row)) is not None:
                    return bad
        finally:
            iterator.close()
    if walk.head is None:
        # No events at all: the head (if any) still has to agree. If events appeared since the
        # statement above, they were appended meanwhile: look again.
        state = head.annotate(has_events=Exists(AuditEvent.objects.all())).first()
        if state is not None and state.has_events and may_retry:
            return None
        walk.head = (state.last_seq, state.last_hash) if state is not None else (None, None)
    return walk.finish()


class _ChainWalk:
    """The state of one pass over the chain; ``step`` returns a result at the first bad event."""

    def __init__(self, *, expect_head: str | None) -> None:
        self.expect_head = expect_head
        self.anchor_seq: int | None = 0 if expect_head == GENESIS_HASH else None
        self.head: tuple[int | None, str | None] | None = None
        self.count = 0
        self.prev_hash = GENESIS_HASH
        self.prev_id: int | None = None

    def bad(
        self, problem: str, reason: str, *, seq: int | None, event_id: int | None
    ) -> VerifyResult:
        return VerifyResult(
            ok=False,
            count=self.count,
            first_bad_seq=seq,
            reason=reason,
            head_hash=self.prev_hash,
            first_bad_id=event_id,
            problem=problem,
        )

    def step(self, row: Any) -> VerifyResult | None:
        expected = self.count + 1
        head_seq = self.head[0] if self.head else None
        if head_seq is not None and row.seq > head_seq:
            return self.bad(
                BEYOND_HEAD,
                _("the chain head ends at #%(head)s: this event was added without the head lock")
                % {"head": head_seq},
                seq=row.seq,
                event_id=row.id,
            )
        if row.seq > expected:
            return self.bad(
                MISSING,
                _("event #%(seq)s is missing (the next stored event is #%(next)s, id %(id)s)")
                % {"seq": expected, "next": row.seq, "id": row.id},
                seq=expected,
                event_id=None,
            )
        if row.seq < expected:
            return self.bad(
                BAD_SEQ,
                _("unexpected sequence number #%(seq)s where #%(expected)s should be")
                % {"seq": row.seq, "expected": expected},
                seq=row.seq,
                event_id=row.id,
            )
        if _recompute(row) != row.hash:
            return self.bad(
                CHANGED,
                _("its stored hash does not match its contents (changed, renumbered or forged)"),
                seq=row.seq,
                event_id=row.id,
            )
        if row.prev_hash != self.prev_hash:
            # This event is intact (its hash covers its prev_hash), so the one before it is not
            # what this event was chained to: changed and re-hashed, or slipped in.
            if row.seq == 1:
                return self.bad(
                    LINK_BROKEN,
                    _("the first event does not start from the genesis hash"),
                    seq=row.seq,
                    event_id=row.id,
                )
            return self.bad(
                LINK_BROKEN,
                _(
                    "event #%(next)s was chained to a different event #%(seq)s: this one was "
                    "changed and re-hashed, replaced or inserted"
                )
                % {"next": row.seq, "seq": row.seq - 1},
                seq=row.seq - 1,
                event_id=self.prev_id,
            )
        if self.expect_head is not None and row.hash == self.expect_head:
            self.anchor_seq = row.seq
        self.count, self.prev_hash, self.prev_id = row.seq, row.hash, row.id
        return None

    def finish(self) -> VerifyResult:
        head_seq, head_hash = self.head if self.head else (None, None)
        if head_seq is None:
            if self.count:
                return self.bad(
                    HEAD_MISSING,
                    _("the chain head row is missing although %(count)s events are stored")
                    % {"count": self.count},
                    seq=None,
                    event_id=None,
                )
            head_seq, head_hash = 0, GENESIS_HASH
        if self.count < head_seq:
            return self.bad(
                MISSING,
                _("event #%(seq)s is missing: the chain head records %(head)s events")
                % {"seq": self.count + 1, "head": head_seq},
                seq=self.count + 1,
                event_id=None,
            )
        if head_hash != self.prev_hash:
            return self.bad(
                HEAD_MISMATCH,
                _("the last event does not match the hash the chain head recorded for it"),
                seq=self.count or None,
                event_id=self.prev_id,
            )
        if self.expect_head is not None and self.anchor_seq is None:
            return self.bad(
                ANCHOR_NOT_FOUND,
                _(
                    "the expected head hash is not in the chain: the log was rewritten or "
                    "truncated since it was written down"
                ),
                seq=None,
                event_id=None,
            )
        return VerifyResult(
            ok=True,
            count=self.count,
            first_bad_seq=None,
            reason="",
            head_hash=self.prev_hash,
            anchor_seq=self.anchor_seq,
        )


def _recompute(row: Any) -> str:
    return event_hash(
        seq=row.seq,
        at=row.at,
        actor_id=row.actor_id,
        actor_username=row.actor_username,
        action=row.action,
        target_type=row.target_type,
        target_id=row.target_id,
        client_address=row.client_address,
        details=row.details,
        prev_hash=row.prev_hash,
    )


# --- The auditor's lists --------------------------------------------------------------------


def events_list(
    *,
    action: str = "",
    actor: str = "",
    target_type: str = "",
    target_id: str = "",
    date_from: date | None = None,
    date_to: date | None = None,
    person: str = "",
    unit_id: int | None = None,
    kind: str = "",
    show_auditor_views: bool = True,
) -> QuerySet[AuditEvent]:
    """Events matching every given filter, newest first. ``action``, ``actor`` (a username),
    ``target_type`` and ``target_id`` match exactly (they use the indexes); dates are local
    calendar days, both ends included.

    ``person`` finds people by name (kanji, as in the directory, spaces ignored), kana (read as
    the romaji of usernames) or username, ignoring case and full/half width: their actions and
    failed sign-ins with their username. ``unit_id``: actions of people with a post in that
    unit or below it. ``kind``: ``KIND_SIGN_IN_FAILURES`` or ``KIND_REFUSED``. Without
    ``show_auditor_views`` the auditors' own looks at the log (``audit.viewed``) are left out
    unless ``action`` asks for them.
    """
    events = AuditEvent.objects.all()
    if action:
        events = events.filter(action=action)
    elif not show_auditor_views:
        events = events.exclude(action=VIEWED_ACTION)
    if actor:
        events = events.filter(actor_username=actor)
    if person.strip():
        events = events.filter(_person_q(person))
    if unit_id is not None:
        events = events.filter(_unit_q(unit_id))
    if kind == KIND_SIGN_IN_FAILURES:
        events = events.filter(action__in=SIGN_IN_FAILURES)
    elif kind == KIND_REFUSED:
        refused = Q()
        for suffix in REFUSED_SUFFIXES:
            refused |= Q(action__endswith=suffix)
        events = events.filter(refused)
    if target_type:
        events = events.filter(target_type=target_type)
    if target_id:
        events = events.filter(target_id=target_id)
    if date_from:
        events = events.filter(at__gte=_local_midnight(date_from))
    if date_to:
        events = events.filter(at__lt=_local_midnight(date_to + timedelta(days=1)))
    return events.order_by("-seq")


def events_for_target(*, target_type: str, target_id: str | int) -> QuerySet[AuditEvent]:
    """The history of one object (e.g. ``"workflow.proposal"``, 42), oldest first. For a user
    (``"auth.user"``) also everything that user did and their failed sign-ins."""
    about = Q(target_type=target_type, target_id=str(target_id))
    if target_type == USER_TARGET:
        pk = _int_or_none(target_id)
        user = get_user_model().objects.filter(pk=pk).first() if pk is not None else None
        if user is not None:
            about |= Q(actor_id=user.pk) | Q(
                action__in=SIGN_IN_FAILURES, details__username=user.get_username()
            )
            person_id = _person_id_of(user)
            if person_id is not None:
                about |= Q(target_type="directory.person", target_id=str(person_id))
    return AuditEvent.objects.filter(about).order_by("seq")


def sign_in_failure_bursts(
    events: QuerySet[AuditEvent], *, limit: int = 20
) -> list[dict[str, Any]]:
    """Failed sign-ins among ``events`` grouped by attempted username and address, the most
    first: ``username``, ``client_address``, ``count``, ``first``, ``last``."""
    rows: Any = (
        events.filter(action__in=SIGN_IN_FAILURES)
        .order_by()
        .values("client_address", username=KeyTextTransform("username", "details"))
        .annotate(count=Count("id"), first=Min("at"), last=Max("at"))
        .order_by("-count", "-last")[:limit]
    )
    return [dict(row) for row in rows]


def units_for_filter() -> list[tuple[int, str]]:
    """(id, name) of the active 部 and 課 for the unit filter, in the directory's order."""
    unit_model = apps.get_model("directory", "OrgUnit")
    rows = unit_model.objects.filter(is_active=True, level__lte=2).values_list("id", "name")
    return list(rows)


# --- person and unit matching ---------------------------------------------------------------


def fold(text: str) -> str:
    """NFKC and case folded, spaces removed: ``ｋｉｍｕｒａ`` and ``Kimura`` compare equal."""
    return unicodedata.normalize("NFKC", text).casefold().replace(" ", "").replace("\u3000", "")


def _person_q(text: str) -> Q:
    folded = fold(text)
    spellings = {folded}
    if is_kana(folded):
        spellings |= romaji_spellings(folded)
    names = Q()
    for spelling in spellings:
        names |= Q(username__icontains=spelling)
    no_spaces = Replace(
        Replace(F("person__display_name"), Value(" "), Value("")), Value("\u3000"), Value("")
    )
    users = get_user_model().objects.annotate(_name=no_spaces)
    matched = list(
        users.filter(names | Q(_name__icontains=folded)).values_list("pk", "username")[:500]
    )
    ids = [pk for pk, _username in matched]
    usernames = [username for _pk, username in matched] + [folded]
    return (
        Q(actor_id__in=ids)
        | Q(actor_username__in=usernames)
        | Q(action__in=SIGN_IN_FAILURES, details__username__in=usernames)
    )


def _unit_q(unit_id: int) -> Q:
    unit_model = apps.get_model("directory", "OrgUnit")
    unit_ids = {unit_id}
    frontier = {unit_id}
    while frontier:  # the unit and every unit below it (at most three levels)
        frontier = (
            set(unit_model.objects.filter(parent_id__in=frontier).values_list("id", flat=True))
            - unit_ids
        )
        unit_ids |= frontier
    user_ids = (
        get_user_model().objects.filter(person__assignments__unit_id__in=unit_ids).values("pk")
    )
    return Q(actor_id__in=Subquery(user_ids))


def _person_id_of(user: Any) -> int | None:
    person = getattr(user, "person", None) if hasattr(user, "person") else None
    return getattr(person, "pk", None)


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True)
class EventPage:
    """One page of a newest-first list; pass ``newer_than``/``older_than`` as ``after``/``before``
    to move (None when there is nothing that way)."""

    events: list[AuditEvent]
    newer_than: int | None
    older_than: int | None


def events_page(
    events: QuerySet[AuditEvent],
    *,
    before: int | None = None,
    after: int | None = None,
    size: int = 50,
) -> EventPage:
    """A page of ``events`` by seq keyset: no COUNT(*) and no OFFSET over millions of rows."""
    if after is not None:
        rows = list(events.filter(seq__gt=after).order_by("seq")[: size + 1])
        has_newer = len(rows) > size
        page = rows[:size][::-1]
        has_older = events.filter(seq__lte=after).exists()
    else:
        window = events.filter(seq__lt=before) if before is not None else events
        rows = list(window.order_by("-seq")[: size + 1])
        has_older = len(rows) > size
        page = rows[:size]
        has_newer = before is not None and events.filter(seq__gte=before).exists()
    return EventPage(
        events=page,
        newer_than=page[0].seq if page and has_newer else None,
        older_than=page[-1].seq if page and has_older else None,
    )


def events_batches(
    events: QuerySet[AuditEvent], *, batch_size: int = 2000
) -> Iterator[list[AuditEvent]]:
    """``events`` in chain order, as lists of up to ``batch_size``, read by seq keyset: constant
    memory, and no cursor or transaction held open while a slow client downloads an export."""
    last_seq = -1
    while True:
        batch = list(events.filter(seq__gt=last_seq).order_by("seq")[:batch_size])
        if batch:
            yield batch
        if len(batch) < batch_size:
            return
        last_seq = batch[-1].seq


def _local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))
