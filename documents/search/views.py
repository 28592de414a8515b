"""The search page: a form, the hits with highlighted snippets, and paging."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.views.generic import TemplateView

from documents.search import QueryRefused, search_for_user
from documents.search.kinds import kinds

PAGE_SIZE = 20
MAX_PAGE = 500


class SearchPageView(LoginRequiredMixin, TemplateView):
    template_name = "documents/search.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        q = self.request.GET.get("q", "")
        page_no = _page_number(self.request.GET.get("page"))
        context.update(q=q, page_no=page_no, error=None, page=None, hits=[])
        if not q.strip():
            return context
        try:
            page = search_for_user(
                user=self.request.user, q=q, limit=PAGE_SIZE, offset=(page_no - 1) * PAGE_SIZE
            )
        except QueryRefused as exc:
            context["error"] = exc.message
            return context
        registry = kinds()
        context.update(
            page=page,
            hits=[
                {
                    "hit": hit,
                    "label": registry[hit.kind].label if hit.kind in registry else hit.kind,
                    "url": registry[hit.kind].url_for(hit.id) if hit.kind in registry else None,
                }
                for hit in page.hits
            ],
            has_previous=page_no > 1,
            has_next=page_no * PAGE_SIZE < page.total and page_no < MAX_PAGE,
            previous_page=page_no - 1,
            next_page=page_no + 1,
        )
        return context


def _page_number(raw: str | None) -> int:
    try:
        return min(max(int(raw or 1), 1), MAX_PAGE)
    except ValueError:
        return 1
