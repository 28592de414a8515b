"""Screens of the org chart (everyone) and of reorganisations (the 人事課 and administrators).

Thin: parse, call ``directory.reorg`` or a selector, render. The services enforce who may act
and answer refusals with their status (400/403/409), shown on the page.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from audit.exceptions import KairanError
from directory import reorg
from directory.models import OrgUnit
from directory.reorg_models import Reorganisation
from directory.selectors import org_chart, unit_members

# --- The org chart -------------------------------------------------------------------------------


@login_required
def org_chart_view(request: HttpRequest) -> HttpResponse:
    query = (request.GET.get("q") or "").strip()[:50]
    rows = org_chart()
    if query:
        rows = [r for r in rows if query in r["path"] or query in (r["head_name"] or "")]
    return render(request, "directory/org_chart.html", {"rows": rows, "query": query})


@login_required
def org_unit_view(request: HttpRequest, unit_id: int) -> HttpResponse:
    unit = get_object_or_404(OrgUnit, pk=unit_id, is_active=True)
    chart = {row["unit"].pk: row for row in org_chart()}
    row = chart.get(unit.pk)
    if row is None:
        raise Http404
    children = [r for r in chart.values() if r["unit"].parent_id == unit.pk]
    return render(
        request,
        "directory/org_unit.html",
        {"row": row, "unit": unit, "members": list(unit_members(unit)), "children": children},
    )


# --- Reorganisations -----------------------------------------------------------------------------


class ReorgStageForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    effective_on = forms.DateField(
        label=_("Effective date"), widget=forms.DateInput(attrs={"type": "date"})
    )
    numbering = forms.ChoiceField(
        label=_("Document numbers of merged divisions"),
        choices=Reorganisation.Numbering.choices,
        initial=Reorganisation.Numbering.CONTINUE,
    )
    file = forms.FileField(
        label=_("File (CSV)"),
        help_text=_(
            "Columns 種別, 対象, 組織, 職名, 名称, 文書記号; kinds 新設, 名称変更, 統合, 廃止, "
            "異動, 兼務, 退職. UTF-8 or Shift_JIS."
        ),
    )


def _allowed(request: HttpRequest) -> None:
    if not reorg.can_manage_reorganisations(request.user):
        raise Http404  # invisible to everyone else


@login_required
@require_http_methods(["GET", "POST"])
def reorg_list_view(request: HttpRequest) -> HttpResponse:
    _allowed(request)
    form = ReorgStageForm(request.POST or None, request.FILES or None)
    refusal = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            staged = reorg.reorg_stage(
                actor=request.user,
                title=form.cleaned_data["title"],
                effective_on=form.cleaned_data["effective_on"],
                numbering=form.cleaned_data["numbering"],
                data=upload.read(),
                file_name=upload.name,
            )
        except KairanError as exc:
            refusal = {"message": exc.message, "status": exc.status_code}
        else:
            return redirect("directory:reorg-detail", reorg_id=staged.pk)
    status = refusal["status"] if refusal else (400 if request.method == "POST" else 200)
    context = {
        "form": form,
        "refusal": refusal,
        "reorganisations": Reorganisation.objects.all()[:50],
        "today": timezone.localdate(),
    }
    return render(request, "directory/reorg_list.html", context, status=status)


def _reorg(request: HttpRequest, reorg_id: int) -> Reorganisation:
    _allowed(request)
    return get_object_or_404(Reorganisation, pk=reorg_id)


@login_required
def reorg_detail_view(request: HttpRequest, reorg_id: int) -> HttpResponse:
    return _detail(request, _reorg(request, reorg_id))


def _detail(
    request: HttpRequest,
    item: Reorganisation,
    *,
    refusal: dict[str, Any] | None = None,
    confirm: bool = False,
) -> HttpResponse:
    lines = list(item.lines.all()[:500])
    context = {
        "item": item,
        "report": item.report or {},
        "lines": lines,
        "refusal": refusal,
        "confirm": confirm,
        "is_due": item.effective_on <= timezone.localdate(),
    }
    status = refusal["status"] if refusal else 200
    return render(request, "directory/reorg_detail.html", context, status=status)


@login_required
@require_POST
def reorg_action_view(request: HttpRequest, reorg_id: int, action: str) -> HttpResponse:
    item = _reorg(request, reorg_id)
    try:
        if action == "dry-run":
            reorg.reorg_dry_run(actor=request.user, reorganisation=item)
        elif action == "apply":
            if request.POST.get("confirmed") != "1":
                return _detail(request, item, confirm=True)
            reorg.reorg_apply(
                actor=request.user, reorganisation=item, early=request.POST.get("early") == "1"
            )
        elif action == "cancel":
            reorg.reorg_cancel(actor=request.user, reorganisation=item)
        else:
            raise Http404
    except KairanError as exc:
        item.refresh_from_db()
        return _detail(request, item, refusal={"message": exc.message, "status": exc.status_code})
    return redirect("directory:reorg-detail", reorg_id=item.pk)
