"""Writes of the council's calendar: sessions (定例会/臨時会) and the agenda of a meeting
(議案第N号, 報告, 請願 …). Secretariat only (403), validated (400), audited in the same transaction.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import Max
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from audit import services as audit
from audit.exceptions import PermissionRefused, ValidationFailed
from audit.transactions import atomic_service
from audit.validators import DATE_MAX, DATE_MIN, date_range_message
from council import permissions
from council.models import AgendaItem, CouncilSession, Meeting

NAME_MAX = 200
NUMBER_MAX = 50
MAX_AGENDA_ITEMS = 500


def _require_secretariat(actor: Any, message: str) -> None:
    if not permissions.can_manage(actor):
        raise PermissionRefused(message)


def _clean_text(value: Any, *, required: bool, limit: int, what: str) -> str:
    if value is not None and not isinstance(value, str | int):
        raise ValidationFailed(_("%(field)s must be text.") % {"field": what})
    text = " ".join(str(value if value is not None else "").split())
    if required and not text:
        raise ValidationFailed(_("%(field)s is required.") % {"field": what})
    if len(text) > limit:
        raise ValidationFailed(
            _("%(field)s is too long (at most %(n)s characters).") % {"field": what, "n": limit}
        )
    return text


def _clean_date(value: Any) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        parsed: date | None = value
    else:
        try:
            parsed = parse_date(str(value).strip())
        except ValueError:
            parsed = None
    if parsed is None:
        raise ValidationFailed(_("starts_on must be a date (YYYY-MM-DD)."))
    if not DATE_MIN <= parsed <= DATE_MAX:
        raise ValidationFailed(f"starts_on: {date_range_message()}")
    return parsed


# --- sessions ----------------------------------------------------------------------------------


@atomic_service
def session_create(
    *, actor: Any, name: Any, kind: Any = "regular", starts_on: Any = None, request: Any = None
) -> CouncilSession:
    """A session of the council (定例会 or 臨時会). 403 for anyone but the secretariat, 400 for a
    missing name, an unknown kind or a bad date."""
    _require_secretariat(actor, _("Only the council secretariat may create sessions."))
    clean_name = _clean_text(name, required=True, limit=NAME_MAX, what=_("Session name"))
    kind = str(kind or "regular")
    if kind not in CouncilSession.Kind.values:
        raise ValidationFailed(_("The kind of session must be regular or extraordinary."))
    session = CouncilSession.objects.create(
        name=clean_name, kind=kind, starts_on=_clean_date(starts_on)
    )
    audit.record(
        action="council.session_created",
        actor=actor,
        target=session,
        details={"name": session.name, "kind": kind},
        request=request,
    )
    return session


def session_named(value: Any) -> CouncilSession | None:
    """The session of a form or body value (an id); None for empty; 400 for no such session."""
    if value in (None, ""):
        return None
    try:
        session_id = int(value)
    except (TypeError, ValueError):
        session_id = 0
    exists = 0 < session_id < 2**31
    session = CouncilSession.objects.filter(pk=session_id).first() if exists else None
    if session is None:
        raise ValidationFailed(_("There is no such session."))
    return session


@atomic_service
def meeting_set_session(
    *, actor: Any, meeting: Meeting, session: Any, request: Any = None
) -> Meeting:
    """Put a meeting into a session (an id) or take it out (empty). Secretariat only (403)."""
    _require_secretariat(actor, _("Only the council secretariat may edit meetings."))
    target = session_named(session)
    meeting = Meeting.objects.select_for_update(of=("self",), no_key=True).get(pk=meeting.pk)
    meeting.session = target
    meeting.save(update_fields=["session"])
    audit.record(
        action="council.meeting_updated",
        actor=actor,
        target=meeting,
        details={"session": target.pk if target else None},
        request=request,
    )
    return meeting


# --- agenda ------------------------------------------------------------------------------------


def _clean_item(*, title: Any, kind: Any, number: Any) -> dict[str, str]:
    kind = str(kind or AgendaItem.Kind.OTHER)
    if kind not in AgendaItem.Kind.values:
        raise ValidationFailed(_("Unknown kind of agenda item."))
    return {
        "title": _clean_text(title, required=True, limit=NAME_MAX, what=_("Title")),
        "kind": kind,
        "number": _clean_text(number, required=False, limit=NUMBER_MAX, what=_("Number")),
    }


def _lock_meeting(meeting: Meeting) -> Meeting:
    """The meeting row locked: agenda writes of one meeting run one at a time (the order)."""
    return Meeting.objects.select_for_update(of=("self",), no_key=True).get(pk=meeting.pk)


@atomic_service
def agenda_item_add(
    *,
    actor: Any,
    meeting: Meeting,
    title: Any,
    kind: Any = "other",
    number: Any = "",
    request: Any = None,
) -> AgendaItem:
    """Add an item at the end of a meeting's agenda (secretariat; 403; 400 bad input)."""
    _require_secretariat(actor, _("Only the council secretariat may edit the agenda."))
    clean = _clean_item(title=title, kind=kind, number=number)
    meeting = _lock_meeting(meeting)
    if meeting.agenda.count() >= MAX_AGENDA_ITEMS:
        raise ValidationFailed(_("The agenda is full."))
    last = meeting.agenda.aggregate(last=Max("order"))["last"] or 0
    item = AgendaItem.objects.create(meeting=meeting, order=last + 1, **clean)
    audit.record(
        action="council.agenda_item_added",
        actor=actor,
        target=item,
        details={"meeting": meeting.pk, **clean},
        request=request,
    )
    return item


@atomic_service
def agenda_item_update(
    *,
    actor: Any,
    item: AgendaItem,
    title: Any,
    kind: Any,
    number: Any,
    request: Any = None,
) -> AgendaItem:
    """Change an item's number, kind and title (secretariat; 403; 400 bad input)."""
    _require_secretariat(actor, _("Only the council secretariat may edit the agenda."))
    clean = _clean_item(title=title, kind=kind, number=number)
    item = AgendaItem.objects.select_for_update(of=("self",), no_key=True).get(pk=item.pk)
    before = {"title": item.title, "kind": item.kind, "number": item.number}
    for field, value in clean.items():
        setattr(item, field, value)
    item.save(update_fields=list(clean))
    audit.record(
        action="council.agenda_item_updated",
        actor=actor,
        target=item,
        details={"before": before, "after": clean},
        request=request,
    )
    return item


@atomic_service
def agenda_item_delete(*, actor: Any, item: AgendaItem, request: Any = None) -> None:
    """Remove an item from the agenda; its materials stay (without an item). Secretariat (403)."""
    _require_secretariat(actor, _("Only the council secretariat may edit the agenda."))
    meeting = _lock_meeting(item.meeting)
    details = {"meeting": meeting.pk, "title": item.title, "number": item.number}
    audit.record(
        action="council.agenda_item_deleted",
        actor=actor,
        target=item,
        details=details,
        request=request,
    )
    AgendaItem.objects.filter(pk=item.pk).delete()
    _renumber(meeting)


@atomic_service
def agenda_item_move(
    *, actor: Any, item: AgendaItem, direction: Any, request: Any = None
) -> AgendaItem:
    """Move an item one place ``up`` or ``down`` in its meeting's agenda (secretariat; 403;
    400 for another direction). At either end it stays where it is."""
    _require_secretariat(actor, _("Only the council secretariat may edit the agenda."))
    if direction not in ("up", "down"):
        raise ValidationFailed(_("The direction must be up or down."))
    meeting = _lock_meeting(item.meeting)
    items = list(meeting.agenda.order_by("order", "pk"))
    at = next(i for i, other in enumerate(items) if other.pk == item.pk)
    to = at - 1 if direction == "up" else at + 1
    if 0 <= to < len(items):
        items[at], items[to] = items[to], items[at]
        _renumber(meeting, items)
        audit.record(
            action="council.agenda_item_moved",
            actor=actor,
            target=item,
            details={"meeting": meeting.pk, "from": at + 1, "to": to + 1},
            request=request,
        )
    return AgendaItem.objects.get(pk=item.pk)


def _renumber(meeting: Meeting, items: list[AgendaItem] | None = None) -> None:
    """Orders 1..n in the given (or the current) order."""
    items = items if items is not None else list(meeting.agenda.order_by("order", "pk"))
    changed = []
    for position, item in enumerate(items, start=1):
        if item.order != position:
            item.order = position
            changed.append(item)
    if changed:
        AgendaItem.objects.bulk_update(changed, ["order"])
