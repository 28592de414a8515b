"""``/api/v1/notifications/``: my notifications, and marking them read.

Only the signed-in person's own notifications exist here: another person's id is 404.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.validators import validate_db_id
from directory.models import Person
from directory.notifications import (
    notifications_for,
    notifications_mark_read,
    notifications_owned,
    notifications_unread_count,
)
from directory.selectors import person_for_user


def _me(request: Request) -> Person:
    person = person_for_user(request.user)
    if person is None:
        raise PermissionDenied
    return person


@extend_schema_serializer(component_name="Notification")
class NotificationOutput(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    title = serializers.CharField()
    body = serializers.CharField()
    url = serializers.CharField()
    created_at = serializers.DateTimeField()
    read_at = serializers.DateTimeField(allow_null=True)
    is_read = serializers.SerializerMethodField()

    def get_is_read(self, obj) -> bool:
        return obj.read_at is not None


class NotificationListApi(APIView):
    """GET: my notifications, newest first (``?limit=``, at most 200), and my unread count."""

    @extend_schema_serializer(component_name="NotificationList")
    class Output(serializers.Serializer):
        unread = serializers.IntegerField()
        results = NotificationOutput(many=True)

    @extend_schema(responses={200: Output})
    def get(self, request: Request) -> Response:
        person = _me(request)
        try:
            limit = min(max(int(request.query_params.get("limit", 50)), 1), 200)
        except ValueError:
            limit = 50
        data = {
            "unread": notifications_unread_count(person),
            "results": list(notifications_for(person, limit=limit)),
        }
        return Response(self.Output(data).data)


class NotificationReadApi(APIView):
    """POST ``{"ids": [...]}`` or ``{"all": true}``: mark my notifications read.

    An id that is not one of mine (another person's, or unknown) is 404 and nothing changes.
    """

    @extend_schema_serializer(component_name="NotificationReadInput")
    class Input(serializers.Serializer):
        ids = serializers.ListField(
            child=serializers.IntegerField(min_value=1, validators=[validate_db_id]),
            required=False,
            max_length=1000,
        )
        all = serializers.BooleanField(required=False, default=False)

        def validate(self, attrs):
            if not attrs.get("all") and not attrs.get("ids"):
                raise serializers.ValidationError("Give ids or all.")
            return attrs

    @extend_schema_serializer(component_name="NotificationReadOutput")
    class Output(serializers.Serializer):
        marked = serializers.IntegerField()
        unread = serializers.IntegerField()

    @extend_schema(request=Input, responses={200: Output})
    def post(self, request: Request) -> Response:
        person = _me(request)
        serializer = self.Input(data=request.data)
        serializer.is_valid(raise_exception=True)
        ids = set(serializer.validated_data.get("ids") or [])
        is_all = serializer.validated_data["all"]
        if not is_all and notifications_owned(person, ids) != ids:
            raise NotFound
        marked = notifications_mark_read(person=person, ids=ids, all=is_all)
        data = {"marked": marked, "unread": notifications_unread_count(person)}
        return Response(self.Output(data).data)
