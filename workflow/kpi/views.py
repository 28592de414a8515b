"""The KPI dashboard of the DX推進委員会 (/approval/kpi/): charts, their tables and CSV.

Visible to the committee and the DX office only (``permissions.can_view_kpi``); 404 otherwise.
The chart data goes to the page in a json_script element read by static/workflow/kpi/kpi.js
(Chart.js from static/vendor/chartjs/, no CDN, no inline script).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.template import engines
from django.template.backends.django import Template as BackendTemplate
from django.template.loaders.filesystem import Loader
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from directory.calendar import fiscal_year_label
from workflow.kpi import selectors
from workflow.kpi.permissions import can_view_kpi

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"


@dataclass(frozen=True)
class Table:
    slug: str
    title: Promise
    key_heading: Promise
    columns: tuple[tuple[Promise, str], ...]
    chart_type: str
    chart_columns: tuple[int, ...]
    horizontal: bool = False


_DECIDED = (_("Decisions"), "decided")
_LEAD = ((_("Lead time, median (days)"), "median"), (_("Lead time, 90th percentile (days)"), "p90"))
_SENT_BACK = (_("Send-back rate (%)"), "send_back_rate")
_SHEETS = (_("Sheets of paper avoided"), "sheets")
_DWELL = (
    (_("Steps acted on"), "count"),
    (_("Dwell, median (hours)"), "median"),
    (_("Dwell, 90th percentile (hours)"), "p90"),
)
_PERIOD = (
    _DECIDED,
    (_("Decided on paper"), "paper"),
    (_("Electronic approval rate (%)"), "electronic_rate"),
    *_LEAD,
    _SENT_BACK,
    _SHEETS,
)

TABLES = {
    t.slug: t
    for t in (
        Table("months", _("Per month"), _("Month"), _PERIOD, "bar", (0, 1, 6)),
        Table("lead", _("Lead time per month"), _("Month"), _PERIOD, "line", (3, 4)),
        Table("years", _("Per fiscal year"), _("Fiscal year"), _PERIOD, "bar", (2, 5)),
        Table(
            "units",
            _("Per division (課)"),
            _("Division"),
            (_DECIDED, *_LEAD, _SENT_BACK, _SHEETS),
            "bar",
            (1, 2),
            True,
        ),
        Table(
            "categories",
            _("Per category"),
            _("Category"),
            (_DECIDED, *_LEAD, _SENT_BACK, _SHEETS),
            "bar",
            (1, 2),
            True,
        ),
        Table("steps", _("Where proposals wait: per step"), _("Step"), _DWELL, "bar", (1, 2), True),
        Table(
            "approvers",
            _("Where proposals wait: per approver (the 30 slowest)"),
            _("Approver"),
            _DWELL,
            "bar",
            (1, 2),
            True,
        ),
    )
}


class YearForm(forms.Form):
    fy = forms.IntegerField(label=_("Fiscal year"), required=False, min_value=1989, max_value=2100)


def _groups(board: selectors.Dashboard, slug: str) -> list[selectors.Group]:
    return {
        "months": board.months,
        "lead": board.months,
        "years": board.years,
        "units": board.units,
        "categories": board.categories,
        "steps": board.steps,
        "approvers": board.approvers,
    }[slug]


def _label(slug: str, group: selectors.Group) -> str:
    if slug == "years":
        return fiscal_year_label(int(group.key))
    return group.label


def _table_rows(board: selectors.Dashboard, table: Table) -> list[list[Any]]:
    return [
        [_label(table.slug, g), *(getattr(g, attr) for _heading, attr in table.columns)]
        for g in _groups(board, table.slug)
    ]


def _board(request: HttpRequest) -> selectors.Dashboard:
    if not can_view_kpi(request.user):
        raise Http404
    form = YearForm(request.GET)
    fy = form.cleaned_data["fy"] if form.is_valid() else None
    return selectors.dashboard(fy=fy or selectors.current_fiscal_year())


@require_GET
@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    board = _board(request)
    sections, charts = [], []
    for table in TABLES.values():
        rows = _table_rows(board, table)
        chart_id = f"kpi-chart-{table.slug}"
        charts.append(
            {
                "id": chart_id,
                "type": table.chart_type,
                "horizontal": table.horizontal,
                "labels": [row[0] for row in rows],
                "datasets": [
                    {"label": str(table.columns[i][0]), "data": [row[i + 1] for row in rows]}
                    for i in table.chart_columns
                ],
            }
        )
        sections.append(
            {
                "table": table,
                "headings": [table.key_heading, *(h for h, _attr in table.columns)],
                "rows": rows,
                "chart_id": chart_id,
                "height": max(240, 28 * len(rows) + 80) if table.horizontal else 280,
            }
        )
    context = {
        "board": board,
        "fy": board.fiscal_year,
        "fy_label": fiscal_year_label(board.fiscal_year),
        "years": range(board.fiscal_year - 4, board.fiscal_year + 2),
        "total": board.total,
        "summary": [
            (_DECIDED[0], board.total.decided),
            (_PERIOD[2][0], board.total.electronic_rate),
            (_LEAD[0][0], board.total.median),
            (_LEAD[1][0], board.total.p90),
            (_SENT_BACK[0], board.total.send_back_rate),
            (_SHEETS[0], board.total.sheets),
        ],
        "sections": sections,
        "chart_data": {"charts": charts},
    }
    return HttpResponse(_render(request, "kpi/dashboard.html", context))


@require_GET
@login_required
def table_csv(request: HttpRequest, table: str) -> HttpResponse:
    board = _board(request)
    spec = TABLES.get(table)
    if spec is None:
        raise Http404
    out = io.StringIO()
    out.write("\ufeff")  # Excel reads UTF-8 only with the BOM
    writer = csv.writer(out)
    writer.writerow([str(spec.key_heading), *(str(h) for h, _attr in spec.columns)])
    for row in _table_rows(board, spec):
        writer.writerow(["" if v is None else v for v in row])
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    name = f"kpi-{table}-{board.fiscal_year}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@cache
def _cached_template(name: str) -> BackendTemplate:
    return _load_template(name)


def _load_template(name: str) -> BackendTemplate:
    # workflow.kpi is not an app of its own (like workflow.dx): load its templates from here.
    backend = engines["django"]
    template = Loader(backend.engine, dirs=[TEMPLATES_DIR]).get_template(name)
    return BackendTemplate(template, backend)


def _render(request: HttpRequest, name: str, context: dict[str, Any]) -> str:
    template = _load_template(name) if settings.DEBUG else _cached_template(name)
    return template.render(context, request)
