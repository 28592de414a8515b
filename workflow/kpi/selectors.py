"""The DX推進委員会's figures: how far approval is electronic, how long it takes, where it waits,
how often it is sent back and how much paper it saves — per month, per 年度 (April–March),
per 課, per category, per step and per approver.

What is counted (docs/architecture.md, "KPI dashboard"):

- **Decided**: a proposal for decision (起案, not 供覧) with status approved (決裁) or rejected
  (否決) and a decision time; it belongs to the month and 年度 of its decision (city time).
- **Electronic approval rate**: decided in Kairan ÷ (decided in Kairan + decided on paper).
  Paper decisions are what the outgoing register (発送簿) holds without a linked proposal: a
  document sent out that no electronic decision stands behind. Counted by the register date.
- **Lead time**: from the first submission (the ``submitted`` history entry of round 1) to the
  decision, in days; median and 90th percentile interpolated as PostgreSQL's percentile_cont.
- **Dwell time**: for each step acted on (``ProposalStep.activated_at`` → ``acted_at``), in
  hours, grouped by the step's position (課長, 部長, …) and by approver; counted in the month of
  the action.
- **Send-back rate**: decided proposals that were sent back (差戻し) at least once ÷ decided.
- **Sheets of paper avoided**: for each decided proposal, (1 sheet for the 決裁文書 + 1 per
  attachment) × (people on the final round's route + the drafter) — the copies a paper
  回議 would print. No page count is stored for attachments yet, so each counts as one sheet:
  a lower bound.

Each figure is one query over an indexed range (decided_at, acted_at, register date) returning
one narrow row per proposal or step; medians and percentiles are taken in Python over those
values (a few hundred thousand numbers per 年度 at most).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from django.db import connection
from django.db.models import Aggregate, Count, Exists, F, FloatField, Func, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from directory.calendar import city_date, fiscal_year, fiscal_year_end, fiscal_year_start
from documents.models import RegisterEntry
from workflow.proposals.attachments_models import ProposalAttachment
from workflow.proposals.models import Decision, Proposal, ProposalStep

DECIDED_STATUSES = (Proposal.Status.APPROVED, Proposal.Status.REJECTED)


def percentile(values: list[float], fraction: float) -> float | None:
    """The ``fraction`` percentile with linear interpolation (PostgreSQL percentile_cont)."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass
class Group:
    """The figures of one month, 年度, 課, category, step or approver."""

    key: Any
    label: str
    decided: int = 0
    sent_back: int = 0
    sheets: int = 0
    paper: int = 0
    durations: list[float] = field(default_factory=list)

    @property
    def median(self) -> float | None:
        return _round(percentile(self.durations, 0.5))

    @property
    def p90(self) -> float | None:
        return _round(percentile(self.durations, 0.9))

    @property
    def count(self) -> int:
        return len(self.durations)

    @property
    def send_back_rate(self) -> float | None:
        return _round(100 * self.sent_back / self.decided) if self.decided else None

    @property
    def electronic_rate(self) -> float | None:
        total = self.decided + self.paper
        return _round(100 * self.decided / total) if total else None


@dataclass
class Dashboard:
    fiscal_year: int
    months: list[Group]
    years: list[Group]
    units: list[Group]
    categories: list[Group]
    steps: list[Group]
    approvers: list[Group]
    total: Group


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def decided_rows(*, since: date | None = None, until: date | None = None) -> list[dict[str, Any]]:
    """One narrow row per decided proposal (decided between the local days, both included)."""
    first_submission = (
        Decision.objects.filter(proposal=OuterRef("pk"), action=Decision.Action.SUBMITTED)
        .order_by("at")
        .values("at")[:1]
    )
    attachments = (
        ProposalAttachment.objects.filter(proposal=OuterRef("pk"))
        .order_by()
        .values("proposal")
        .annotate(n=Count("pk"))
        .values("n")
    )
    people = (
        ProposalStep.objects.filter(proposal=OuterRef("pk"), round=OuterRef("round"))
        .order_by()
        .values("proposal")
        .annotate(n=Count("approver", distinct=True))
        .values("n")
    )
    sent_back = Decision.objects.filter(proposal=OuterRef("pk"), action=Decision.Action.SENT_BACK)
    rows = Proposal.objects.filter(
        kind=Proposal.Kind.DECISION, status__in=DECIDED_STATUSES, decided_at__isnull=False
    )
    if since is not None:
        rows = rows.filter(decided_at__gte=_start(since))
    if until is not None:
        rows = rows.filter(decided_at__lt=_start(date.fromordinal(until.toordinal() + 1)))
    return list(
        rows.annotate(
            submitted=Coalesce(Subquery(first_submission), F("submitted_at")),
            attachment_count=Coalesce(Subquery(attachments), 0),
            route_people=Coalesce(Subquery(people), 0),
            was_sent_back=Exists(sent_back),
        )
        .order_by()
        .values(
            "pk",
            "decided_at",
            "submitted",
            "attachment_count",
            "route_people",
            "was_sent_back",
            unit_name=F("drafting_unit__name"),
            category_name=F("category__name"),
        )
    )


def paper_decisions(*, since: date | None = None, until: date | None = None) -> list[date]:
    """Dates of outgoing register entries with no electronic decision behind them."""
    rows = RegisterEntry.objects.filter(kind=RegisterEntry.Kind.OUTGOING, proposal_id__isnull=True)
    if since is not None:
        rows = rows.filter(on__gte=since)
    if until is not None:
        rows = rows.filter(on__lte=until)
    return list(rows.order_by().values_list("on", flat=True))


def step_rows(*, since: date, until: date) -> list[dict[str, Any]]:
    """One row per step acted on between the days: position, approver and dwell."""
    return list(
        ProposalStep.objects.filter(
            activated_at__isnull=False,
            acted_at__gte=_start(since),
            acted_at__lt=_start(date.fromordinal(until.toordinal() + 1)),
        )
        .order_by()
        .values(
            "position",
            "activated_at",
            "acted_at",
            "approver_id",
            approver_name=F("approver__display_name"),
        )
    )


class PercentileCont(Aggregate):
    """PostgreSQL's ordered-set aggregate: percentile_cont(fraction) WITHIN GROUP (ORDER BY x)."""

    function = "percentile_cont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression: Any, fraction: float) -> None:
        super().__init__(expression, fraction=float(fraction))


class _Hours(Func):
    template = "(EXTRACT(EPOCH FROM %(expressions)s) / 3600.0)"
    output_field = FloatField()


def dwell_aggregates(*, since: date, until: date, by: str) -> list[dict[str, Any]]:
    """PostgreSQL: per ``by`` (``position`` or ``approver_id``) the count, median and p90 of the
    dwell in hours of the steps acted on between the days."""
    hours = _Hours(F("acted_at") - F("activated_at"))
    fields = [by, "approver__display_name"] if by == "approver_id" else [by]
    rows = (
        ProposalStep.objects.filter(
            activated_at__isnull=False,
            acted_at__gte=_start(since),
            acted_at__lt=_start(date.fromordinal(until.toordinal() + 1)),
        )
        .order_by()
        .values(*fields)
        .annotate(
            n=Count("pk"),
            p50=PercentileCont(hours, 0.5),
            p90=PercentileCont(hours, 0.9),
        )
    )
    out = []
    for row in rows:
        row = dict(row)
        row["approver_name"] = row.pop("approver__display_name", None)
        out.append(row)
    return out


@dataclass
class DwellGroup(Group):
    """A group whose count and percentiles the database computed."""

    n: int = 0
    p50: float | None = None
    p90_value: float | None = None

    @property
    def median(self) -> float | None:
        return _round(self.p50)

    @property
    def p90(self) -> float | None:
        return _round(self.p90_value)

    @property
    def count(self) -> int:
        return self.n


def _dwell(row: dict[str, Any]) -> dict[str, Any]:
    return {"n": row["n"], "p50": row["p50"], "p90_value": row["p90"]}


def sheets_of(row: dict[str, Any]) -> int:
    return (1 + row["attachment_count"]) * (row["route_people"] + 1)


def lead_days(row: dict[str, Any]) -> float | None:
    if row["submitted"] is None:
        return None
    return (row["decided_at"] - row["submitted"]).total_seconds() / 86400


def month_key(moment: datetime | date) -> str:
    day = city_date(moment) if isinstance(moment, datetime) else moment
    return f"{day.year:04d}-{day.month:02d}"


def _add(group: Group, row: dict[str, Any]) -> None:
    group.decided += 1
    group.sent_back += int(row["was_sent_back"])
    group.sheets += sheets_of(row)
    days = lead_days(row)
    if days is not None:
        group.durations.append(days)


def _grouped(
    rows: Iterable[dict[str, Any]], key: Callable[[dict[str, Any]], Any]
) -> dict[Any, Group]:
    groups: dict[Any, Group] = {}
    for row in rows:
        k = key(row)
        _add(groups.setdefault(k, Group(key=k, label=str(k or "—"))), row)
    return groups


def dashboard(*, fy: int) -> Dashboard:
    """Every figure of the dashboard for 年度 ``fy`` (and the 年度 series up to it)."""
    start, end = fiscal_year_start(fy), fiscal_year_end(fy)
    rows = decided_rows(since=start, until=end)
    paper = paper_decisions(since=start, until=end)

    months = []
    for i in range(12):
        month = (3 + i) % 12 + 1
        year = fy if month >= 4 else fy + 1
        key = f"{year:04d}-{month:02d}"
        months.append(Group(key=key, label=key))
    by_month = {g.key: g for g in months}
    for row in rows:
        _add(by_month[month_key(row["decided_at"])], row)
    for day in paper:
        by_month[month_key(day)].paper += 1

    total = Group(key=fy, label=str(fy))
    for row in rows:
        _add(total, row)
    total.paper = len(paper)

    # The 年度 series: every 年度 up to the chosen one (5 at most), one query each way.
    first_fy = fy - 4
    all_rows = decided_rows(since=fiscal_year_start(first_fy), until=end)
    years = {y: Group(key=y, label=str(y)) for y in range(first_fy, fy + 1)}
    for row in all_rows:
        _add(years[fiscal_year(city_date(row["decided_at"]))], row)
    for day in paper_decisions(since=fiscal_year_start(first_fy), until=end):
        years[fiscal_year(day)].paper += 1

    steps: dict[str, Group] = {}
    approvers: dict[int, Group] = {}
    if connection.vendor == "postgresql":
        # percentile_cont in the database: one row per group instead of one per step.
        for row in dwell_aggregates(since=start, until=end, by="position"):
            position = row["position"] or "—"
            steps[position] = DwellGroup(key=position, label=position, **_dwell(row))
        for row in dwell_aggregates(since=start, until=end, by="approver_id"):
            approvers[row["approver_id"]] = DwellGroup(
                key=row["approver_id"], label=row["approver_name"] or "—", **_dwell(row)
            )
    else:
        for step in step_rows(since=start, until=end):
            hours = (step["acted_at"] - step["activated_at"]).total_seconds() / 3600
            position = step["position"] or "—"
            steps.setdefault(position, Group(key=position, label=position)).durations.append(hours)
            approver = approvers.setdefault(
                step["approver_id"],
                Group(key=step["approver_id"], label=step["approver_name"] or "—"),
            )
            approver.durations.append(hours)

    def by_median(groups: Iterable[Group]) -> list[Group]:
        return sorted(groups, key=lambda g: (-(g.median or 0), g.label))

    return Dashboard(
        fiscal_year=fy,
        months=months,
        years=list(years.values()),
        units=sorted(_grouped(rows, lambda r: r["unit_name"]).values(), key=lambda g: g.label),
        categories=sorted(
            _grouped(rows, lambda r: r["category_name"]).values(), key=lambda g: g.label
        ),
        steps=by_median(steps.values()),
        approvers=by_median(approvers.values())[:30],
        total=total,
    )


def current_fiscal_year() -> int:
    return fiscal_year(timezone.localdate())
