"""``POST /api/v1/disposals/`` ``{"binders": [ids]}`` → 201 the submitted disposal proposal (廃棄),
as ``GET proposals/{id}/`` shows it, with its ``binders``. Thin: parse, call
``workflow.disposal.services``, shape the answer; 400/403/404/409 come from the service.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.validators import validate_db_id
from workflow.disposal import services as disposal
from workflow.disposal.models import DisposalProposalBinder
from workflow.proposals import selectors
from workflow.proposals.api import ProposalOutput, proposal_data


@extend_schema_serializer(component_name="DisposalProposalBinder")
class DisposalBinderOutput(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    unit = serializers.CharField()
    fiscal_year = serializers.IntegerField()
    retention = serializers.IntegerField()
    disposal_on = serializers.DateField(allow_null=True)
    outcome = serializers.CharField()
    reason = serializers.CharField()


@extend_schema_serializer(component_name="DisposalProposal")
class DisposalProposalOutput(ProposalOutput):
    binders = DisposalBinderOutput(many=True)


def _binder_data(link: DisposalProposalBinder) -> dict[str, Any]:
    binder = link.binder
    return {
        "id": binder.pk,
        "title": binder.title,
        "unit": binder.unit.name,
        "fiscal_year": binder.fiscal_year,
        "retention": binder.retention,
        "disposal_on": binder.disposal_on,
        "outcome": link.outcome,
        "reason": link.reason,
    }


class DisposalCreateApi(APIView):
    """POST: propose the disposal of binders of my 課 past their disposal date; the proposal
    (category ``disposal``) is submitted on its route at once (201)."""

    @extend_schema_serializer(component_name="DisposalCreateInput")
    class Input(serializers.Serializer):
        binders = serializers.ListField(
            child=serializers.IntegerField(min_value=1, validators=[validate_db_id]),
            min_length=1,
            max_length=disposal.MAX_BINDERS,
        )

    @extend_schema(request=Input, responses={201: DisposalProposalOutput})
    def post(self, request: Request) -> Response:
        serializer = self.Input(data=request.data)
        serializer.is_valid(raise_exception=True)
        proposal = disposal.disposal_propose(
            actor=request.user, binders=serializer.validated_data["binders"]
        )
        proposal = selectors.proposal_get(user=request.user, proposal_id=proposal.pk)
        data = dict(proposal_data(proposal))
        data["binders"] = [_binder_data(link) for link in disposal.disposal_binders(proposal)]
        return Response(DisposalProposalOutput(data).data, status=status.HTTP_201_CREATED)
