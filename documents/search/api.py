"""``GET /api/v1/search/?q=`` (CONTRACT.md "Documents"). Thin: parse, search, shape."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from documents.search import search_for_user
from documents.search.kinds import kinds
from documents.search.query import MAX_LIMIT


class SearchApi(APIView):
    """Documents and proposals the caller may see whose title or text contains ``q``."""

    class Input(serializers.Serializer):
        q = serializers.CharField(
            required=False, allow_blank=True, default="", trim_whitespace=False
        )
        limit = serializers.IntegerField(
            required=False, default=50, min_value=1, max_value=MAX_LIMIT
        )
        offset = serializers.IntegerField(required=False, default=0, min_value=0, max_value=100_000)

    class HitOutput(serializers.Serializer):
        kind = serializers.CharField()
        id = serializers.IntegerField()
        title = serializers.CharField()
        snippet = serializers.CharField(help_text="HTML: escaped text, the first hit in <mark>")
        rank = serializers.IntegerField()
        url = serializers.CharField(allow_null=True)

    class Output(serializers.Serializer):
        query = serializers.CharField(help_text="the query as normalised (NFKC, case-folded)")
        count = serializers.IntegerField()
        results = serializers.ListField(child=serializers.DictField())

    @extend_schema(parameters=[Input], responses=Output, operation_id="search")
    def get(self, request: Request) -> Response:
        params = self.Input(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        page = search_for_user(
            user=request.user, q=data["q"], limit=data["limit"], offset=data["offset"]
        )
        registry = kinds()
        results = [
            {
                "kind": hit.kind,
                "id": hit.id,
                "title": hit.title,
                "snippet": str(hit.snippet),
                "rank": hit.rank,
                "url": registry[hit.kind].url_for(hit.id) if hit.kind in registry else None,
            }
            for hit in page.hits
        ]
        return Response({"query": page.query, "count": page.total, "results": results})
