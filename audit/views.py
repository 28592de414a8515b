"""The auditor's pages: the log with filters, chain verification and CSV export.

Only users with ``audit.view_auditevent`` see them; anybody else signed in gets 404, as for
anything not visible to them (CONTRACT.md). Every look at the log is itself recorded.
"""

from __future__ import annotations

import csv
import json
from collections.abc import AsyncIterator, Iterable, Iterator
from datetime import date
from typing import Any
from urllib.parse import quote

from asgiref.sync import sync_to_async
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.handlers.asgi import ASGIRequest
from django.http import Http404, HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_GET

from audit import services
from audit.forms import EventFilterForm, VerifyForm
from audit.labels import action_label, details_lines, target_label
from audit.models import AuditEvent
from audit.permissions import can_view_audit_log
from audit.selectors import (
    KIND_SIGN_IN_FAILURES,
    chain_verify,
    events_batches,
    events_for_target,
    events_list,
    events_page,
    sign_in_failure_bursts,
)

TRAIL_LIMIT = 2000

PAGE_SIZE = 50
# The export's columns: the stored field and its heading (Japanese for the city's auditors).
CSV_COLUMNS = (
    ("seq", pgettext_lazy("audit CSV", "No.")),
    ("at", pgettext_lazy("audit CSV", "Time")),
    ("actor_id", pgettext_lazy("audit CSV", "User id")),
    ("actor_username", pgettext_lazy("audit CSV", "User name")),
    ("action", pgettext_lazy("audit CSV", "Action code")),
    ("action_label", pgettext_lazy("audit CSV", "Action")),
    ("target_type", pgettext_lazy("audit CSV", "Object type")),
    ("target_id", pgettext_lazy("audit CSV", "Object number")),
    ("client_address", pgettext_lazy("audit CSV", "Client address")),
    ("details", pgettext_lazy("audit CSV", "Details")),
    ("prev_hash", pgettext_lazy("audit CSV", "Previous hash")),
    ("hash", pgettext_lazy("audit CSV", "Hash")),
)
# A cell starting with one of these is a formula to Excel; the log holds text users typed.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _visible_to_auditors_only(request: HttpRequest) -> None:
    if not can_view_audit_log(request.user):
        raise Http404


@require_GET
@login_required
def event_list(request: HttpRequest) -> HttpResponse:
    """The log, newest first, filtered and paged by seq; the auditors' own looks at it are
    recorded but hidden unless asked for."""
    _visible_to_auditors_only(request)
    form = EventFilterForm(request.GET)
    if not form.is_valid():
        context = {"form": form, "page": None, "export_url": reverse("audit:export")}
        return render(request, "audit/event_list.html", context, status=400)
    filters = form.filters()
    before, after = form.cleaned_data["before"], form.cleaned_data["after"]
    services.record(
        action=services.ACTION_VIEWED,
        actor=request.user,
        request=request,
        details={"page": "list", "filters": _given(filters), "before": before, "after": after},
    )
    events = events_list(**filters)
    page = events_page(events, before=before, after=after, size=PAGE_SIZE)
    query = _query_without_paging(request.GET)
    bursts = sign_in_failure_bursts(events) if filters["kind"] == KIND_SIGN_IN_FAILURES else None
    context = {
        "form": form,
        "page": page,
        "rows": _rows(page.events),
        "bursts": bursts,
        "newer_url": _url("audit:index", query, after=page.newer_than),
        "older_url": _url("audit:index", query, before=page.older_than),
        "export_url": _url("audit:export", query),
    }
    return render(request, "audit/event_list.html", context)


@require_GET
@login_required
def trail(request: HttpRequest, target_type: str, target_id: str) -> HttpResponse:
    """Every event about one object (a proposal, a document, a user), oldest first."""
    _visible_to_auditors_only(request)
    services.record(
        action=services.ACTION_VIEWED,
        actor=request.user,
        request=request,
        details={"page": "trail", "target_type": target_type, "target_id": target_id},
    )
    events = events_for_target(target_type=target_type, target_id=target_id)
    shown = list(events.exclude(action=services.ACTION_VIEWED)[:TRAIL_LIMIT])
    context = {
        "target_type": target_type,
        "target_label": target_label(target_type),
        "target_id": target_id,
        "rows": _rows(shown),
        "truncated": len(shown) == TRAIL_LIMIT,
        "export_url": reverse("audit:export")
        + f"?target_type={quote(target_type)}&target_id={quote(target_id)}",
    }
    return render(request, "audit/trail.html", context)


@require_GET
@login_required
def chain_verify_view(request: HttpRequest) -> HttpResponse:
    """Recompute the whole chain and show the result (and the head hash to write down)."""
    _visible_to_auditors_only(request)
    form = VerifyForm(request.GET)
    if not form.is_valid():
        return render(request, "audit/verify.html", {"form": form, "result": None}, status=400)
    expect_head = form.cleaned_data["expect_head"] or None
    result = chain_verify(expect_head=expect_head)
    services.record(
        action=services.ACTION_VERIFIED,
        actor=request.user,
        request=request,
        details={
            "ok": result.ok,
            "count": result.count,
            "head_hash": result.head_hash,
            "expect_head": expect_head,
            "first_bad_seq": result.first_bad_seq,
            "problem": result.problem,
        },
    )
    context = {"form": form, "result": result, "expect_head": expect_head}
    return render(request, "audit/verify.html", context)


@require_GET
@login_required
def event_export(request: HttpRequest) -> HttpResponse:
    """The filtered log as CSV (UTF-8 with BOM for Excel), in chain order, streamed."""
    _visible_to_auditors_only(request)
    form = EventFilterForm(request.GET)
    if not form.is_valid():
        return HttpResponse(
            _("Invalid filter."), status=400, content_type="text/plain; charset=utf-8"
        )
    filters = form.filters()
    services.record(
        action=services.ACTION_EXPORTED,
        actor=request.user,
        request=request,
        details={"filters": _given(filters)},
    )
    batches = events_batches(events_list(**filters))
    # Under ASGI a synchronous iterator would be read whole into memory before sending.
    content: Iterable[str] | AsyncIterator[str] = (
        _csv_async(batches) if isinstance(request, ASGIRequest) else _csv_sync(batches)
    )
    response = StreamingHttpResponse(content, content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
    return response


# --- helpers --------------------------------------------------------------------------------


class _Line:
    """A file-like object for csv.writer that hands back each written line."""

    def write(self, value: str) -> str:
        return value


_writer = csv.writer(_Line())


def _csv_header() -> str:
    return "\ufeff" + _writer.writerow([str(heading) for _name, heading in CSV_COLUMNS])


def _csv_sync(batches: Iterator[list[AuditEvent]]) -> Iterator[str]:
    yield _csv_header()
    for batch in batches:
        yield "".join(_writer.writerow(_csv_row(e)) for e in batch)


async def _csv_async(batches: Iterator[list[AuditEvent]]) -> AsyncIterator[str]:
    yield _csv_header()
    next_batch = sync_to_async(next, thread_sensitive=True)
    while (batch := await next_batch(batches, None)) is not None:
        yield "".join(_writer.writerow(_csv_row(e)) for e in batch)


def _csv_row(event: AuditEvent) -> list[Any]:
    return [
        event.seq,
        timezone.localtime(event.at).isoformat(),
        "" if event.actor_id is None else event.actor_id,
        _cell(event.actor_username),
        _cell(event.action),
        _cell(action_label(event.action)),
        _cell(event.target_type),
        _cell(event.target_id),
        event.client_address or "",
        json.dumps(event.details, ensure_ascii=False, sort_keys=True),
        event.prev_hash,
        event.hash,
    ]


def _cell(text: str) -> str:
    return f"'{text}" if text.startswith(_FORMULA_START) else text


def _details_text(details: Any) -> str:
    return json.dumps(details, ensure_ascii=False, sort_keys=True)


def _rows(events: list[AuditEvent]) -> list[dict[str, Any]]:
    """What the tables show of each event: labels, the person's name and readable details."""
    user_ids = {e.actor_id for e in events if e.actor_id is not None}
    names = dict(
        get_user_model().objects.filter(pk__in=user_ids).values_list("pk", "person__display_name")
    )
    return [
        {
            "event": e,
            "action_label": action_label(e.action),
            "actor_name": names.get(e.actor_id) or "",
            "target_label": target_label(e.target_type),
            "details": details_lines(e.details),
        }
        for e in events
    ]


def _given(filters: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in filters.items() if v}


def _query_without_paging(query: QueryDict) -> QueryDict:
    query = query.copy()
    query.pop("before", None)
    query.pop("after", None)
    return query


def _url(name: str, query: QueryDict, **extra: int | None) -> str | None:
    if extra and None in extra.values():
        return None  # nothing to page to
    query = query.copy()
    for key, value in extra.items():
        query[key] = str(value)
    encoded = query.urlencode()
    return reverse(name) + (f"?{encoded}" if encoded else "")
