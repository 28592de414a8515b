"""Records screens (Japanese first, iPad-friendly): binder tree by 課 and 年度, binder and
document detail with versions and a preview slot, upload with progress, disposal-due list.
Thin: parse, call a selector or a service, render. Domain errors become their status.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import BadRequest, PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from audit.exceptions import KairanError, NotFound, PermissionRefused, ValidationFailed
from audit.permissions import can_view_audit_log
from audit.validators import as_db_id, date_param, year_param
from directory.calendar import fiscal_year, fiscal_year_label
from documents import permissions, previews, registers, selectors, services, validation
from documents.api.views import version_response
from documents.forms import BinderForm, RegisterEntryForm, UploadForm, VersionForm
from documents.models import Binder, RegisterEntry


def _raise_http(exc: KairanError) -> None:
    if isinstance(exc, NotFound):
        raise Http404(exc.message) from exc
    if isinstance(exc, PermissionRefused):
        raise PermissionDenied(exc.message) from exc


def _fileable_binders(user: Any) -> list[tuple[int, str]]:
    units = permissions.member_unit_ids(user)
    binders = selectors.binder_list_visible(user=user).filter(
        unit_id__in=units, status=Binder.Status.OPEN
    )
    return [(b.pk, f"{b.unit.name} {b.fiscal_year}年度 {b.title}") for b in binders]


class BinderTreeView(LoginRequiredMixin, View):
    """簿冊 by 課 and 年度 (visible ones), and a form to open a binder of my 課."""

    def get(self, request: HttpRequest, form: BinderForm | None = None) -> HttpResponse:
        form = form or BinderForm(initial={"fiscal_year": fiscal_year(timezone.localdate())})
        context = {
            "tree": selectors.binder_tree(user=request.user),
            "form": form,
            "recent": selectors.document_list_visible(user=request.user).filter(
                created_by=request.user
            )[:10],
        }
        return render(request, "documents/binder_tree.html", context)

    def post(self, request: HttpRequest) -> HttpResponse:
        form = BinderForm(request.POST)
        if not form.is_valid():
            return self.get(request, form=form)
        try:
            binder = services.binder_create(
                actor=request.user,
                unit=services.division_of(request.user),
                fiscal_year=form.cleaned_data["fiscal_year"],
                title=form.cleaned_data["title"],
                retention_years=form.cleaned_data["retention"],
                classification=form.cleaned_data["classification"],
                request=request,
            )
        except KairanError as exc:
            form.add_error(None, exc.message)
            return self.get(request, form=form)
        messages.success(request, _("The binder was created."))
        return redirect("documents:binder", binder.pk)


class BinderDetailView(LoginRequiredMixin, View):
    def get(self, request: HttpRequest, binder_id: int) -> HttpResponse:
        try:
            binder = selectors.binder_get(user=request.user, binder_id=binder_id)
        except KairanError as exc:
            _raise_http(exc)
            raise
        context = {
            "binder": binder,
            "documents": selectors.binder_documents(user=request.user, binder=binder)
            .select_related("current_version__extraction")
            .order_by("pk"),
            "proposals": binder.proposals.all(),
            "disposals": selectors.disposal_records(binder=binder),
            "can_transfer": permissions.can_transfer_binder(request.user, binder),
            "can_file": permissions.can_file_into_binder(request.user, binder),
        }
        return render(request, "documents/binder_detail.html", context)


class DocumentDetailView(LoginRequiredMixin, View):
    def _document(self, request: HttpRequest, document_id: int):
        try:
            return selectors.document_get(user=request.user, document_id=document_id)
        except KairanError as exc:
            _raise_http(exc)
            raise

    def get(
        self, request: HttpRequest, document_id: int, form: VersionForm | None = None
    ) -> HttpResponse:
        document = self._document(request, document_id)
        services.document_view_record(actor=request.user, document=document, request=request)
        versions = selectors.document_versions(document)
        context = {
            "document": document,
            "versions": versions,
            "current": next((v for v in versions if v.pk == document.current_version_id), None),
            "form": form or VersionForm(),
            "can_add_version": permissions.can_add_version(request.user, document)
            and document.disposed_at is None,
            "max_bytes": validation.max_upload_bytes(),
        }
        return render(request, "documents/document_detail.html", context)

    def post(self, request: HttpRequest, document_id: int) -> HttpResponse:
        """A new version without JavaScript (the page's script posts to the API instead)."""
        document = self._document(request, document_id)
        form = VersionForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.get(request, document_id, form=form)
        upload = form.cleaned_data["file"]
        try:
            services.document_add_version(
                actor=request.user,
                document=document,
                content=upload,
                name=upload.name,
                size_bytes=upload.size,
                request=request,
            )
        except KairanError as exc:
            _raise_http(exc)
            form.add_error("file", exc.message)
            return self.get(request, document_id, form=form)
        messages.success(request, _("The new version was saved."))
        return redirect("documents:detail", document.pk)


class ExtractionStatusView(LoginRequiredMixin, View):
    """The extraction status of the current version (an htmx fragment that polls itself)."""

    def get(self, request: HttpRequest, document_id: int) -> HttpResponse:
        try:
            document = selectors.document_get(user=request.user, document_id=document_id)
            version = selectors.version_get(document=document)
        except KairanError as exc:
            _raise_http(exc)
            raise
        return render(
            request, "documents/_extraction_status.html", {"document": document, "v": version}
        )


class DocumentDownloadView(LoginRequiredMixin, View):
    def get(self, request: HttpRequest, document_id: int) -> HttpResponse:
        try:
            document = selectors.document_get(user=request.user, document_id=document_id)
            number = as_db_id(request.GET.get("version"))
            version = selectors.version_get(document=document, number=number)
            opened = services.version_open(
                actor=request.user, document=document, version=version, request=request
            )
        except KairanError as exc:
            _raise_http(exc)
            return render(
                request, "documents/error.html", {"message": exc.message}, status=exc.status_code
            )
        return version_response(opened)


class UploadView(LoginRequiredMixin, View):
    """The upload form; its script sends the file to the API with a progress bar, and the
    form also works without JavaScript (posted here)."""

    def get(self, request: HttpRequest, form: UploadForm | None = None) -> HttpResponse:
        binders = _fileable_binders(request.user)
        initial = {"binder": request.GET.get("binder")}
        form = form or UploadForm(binders=binders, initial=initial)
        context = {"form": form, "max_bytes": validation.max_upload_bytes()}
        return render(request, "documents/upload.html", context)

    def post(self, request: HttpRequest) -> HttpResponse:
        form = UploadForm(request.POST, request.FILES, binders=_fileable_binders(request.user))
        if not form.is_valid():
            return self.get(request, form=form)
        data = form.cleaned_data
        try:
            binder = (
                selectors.binder_get(user=request.user, binder_id=data["binder"])
                if data.get("binder")
                else None
            )
            document = services.document_upload(
                actor=request.user,
                content=data["file"],
                name=data["file"].name,
                size_bytes=data["file"].size,
                title=data["title"],
                binder=binder,
                classification=data.get("classification") or None,
                request=request,
            )
        except KairanError as exc:
            form.add_error(None, exc.message)
            return self.get(request, form=form)
        messages.success(request, _("The document was saved."))
        return redirect("documents:detail", document.pk)


class DisposalDueView(LoginRequiredMixin, View):
    """Binders past their disposal date in my 課 (auditors: every 課), legal holds marked."""

    def get(self, request: HttpRequest) -> HttpResponse:
        try:
            on = date_param(request.GET.get("on")) or timezone.localdate()
        except ValidationFailed as exc:
            raise BadRequest(exc.message) from exc
        binders = selectors.binders_due_for_disposal(None, on, include_held=True)
        if not can_view_audit_log(request.user):
            binders = binders.filter(unit_id__in=permissions.member_unit_ids(request.user))
        binders = list(binders)
        context = {"binders": binders, "on": on, "proposable": _proposable(request.user, binders)}
        return render(request, "documents/disposal_due.html", context)


def _proposable(user: Any, binders: list[Binder]) -> set[int]:
    """Binders the user may tick for a disposal proposal (the approval app's 廃棄を起案): their
    own 課's, due as of today, not under legal hold. The approval app checks again (and refuses
    binders already on a proposal)."""
    try:
        division = services.division_of(user)
    except KairanError:
        return set()
    today = timezone.localdate()
    return {
        b.pk
        for b in binders
        if b.unit_id == division.pk and not b.is_legal_hold and b.disposal_on < today
    }


class RegisterView(LoginRequiredMixin, View):
    """収受簿 / 発送簿 of my 課 for a fiscal year, and a form to register an entry."""

    def get(
        self, request: HttpRequest, kind: str, form: RegisterEntryForm | None = None
    ) -> HttpResponse:
        if kind not in RegisterEntry.Kind.values:
            raise Http404
        try:
            fy = year_param(request.GET.get("fiscal_year")) or fiscal_year(timezone.localdate())
        except ValidationFailed as exc:
            raise BadRequest(exc.message) from exc
        entries = selectors.register_list(user=request.user, kind=kind, fiscal_year=fy)[:500]
        context = {
            "entries": entries,
            "kind": kind,
            "label": RegisterEntry.Kind(kind).label,
            "fiscal_year": fy,
            "form": form or RegisterEntryForm(initial={"on": timezone.localdate()}),
        }
        return render(request, "documents/register.html", context)

    def post(self, request: HttpRequest, kind: str) -> HttpResponse:
        if kind not in RegisterEntry.Kind.values:
            raise Http404
        form = RegisterEntryForm(request.POST)
        if not form.is_valid():
            return self.get(request, kind, form=form)
        data = form.cleaned_data
        try:
            entry = registers.register_entry_create(
                actor=request.user,
                kind=kind,
                on=data["on"],
                counterpart=data["counterpart"],
                subject=data["subject"],
                proposal_id=data.get("proposal"),
                request=request,
            )
        except KairanError as exc:
            _raise_http(exc)
            form.add_error(None, exc.message)
            return self.get(request, kind, form=form)
        messages.success(
            request,
            _("Registered as number %(number)s of %(year)s.")
            % {"number": entry.number, "year": fiscal_year_label(entry.fiscal_year)},
        )
        url = reverse("documents:register", args=[kind])
        return redirect(f"{url}?fiscal_year={entry.fiscal_year}")


class PreviewView(LoginRequiredMixin, View):
    """The preview slot's content (an htmx fragment): page ``n`` of the current version, with
    a pager, or the reason there is no preview."""

    def get(self, request: HttpRequest, document_id: int) -> HttpResponse:
        page = as_db_id(request.GET.get("page")) or 1
        context: dict[str, Any] = {"page": page}
        try:
            document = selectors.document_get(user=request.user, document_id=document_id)
            version = selectors.version_get(document=document)
            count = previews.page_count(actor=request.user, document=document, version=version)
            context.update(document=document, version=version, count=count, page=min(page, count))
        except (NotFound, PermissionRefused) as exc:
            _raise_http(exc)
        except KairanError as exc:
            context["message"] = exc.message
        return render(request, "documents/_preview_pages.html", context)


class PageImageView(LoginRequiredMixin, View):
    """A page of a version as WebP (cached by content hash; audited when confidential)."""

    def get(self, request: HttpRequest, document_id: int, page: int) -> HttpResponse:
        if page < 1:  # pages count from 1
            raise Http404
        try:
            document = selectors.document_get(user=request.user, document_id=document_id)
            number = as_db_id(request.GET.get("version"))
            version = selectors.version_get(document=document, number=number)
            image = previews.page_image(
                actor=request.user,
                document=document,
                version=version,
                page=page,
                width=as_db_id(request.GET.get("width")) or 1200,
                request=request,
            )
        except KairanError as exc:
            _raise_http(exc)
            if exc.status_code == 404:
                raise Http404(exc.message) from exc
            return HttpResponse(exc.message, status=exc.status_code, content_type="text/plain")
        response = HttpResponse(image, content_type="image/webp")
        response["Cache-Control"] = "private, max-age=86400"
        return response
