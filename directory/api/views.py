"""REST API of the directory app: API tokens and the signed-in user's profile."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.authentication import TokenAuthentication
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from directory import auth
from directory.selectors import person_for_user, person_primary_post


class AuthTokenApi(APIView):
    """POST: exchange a username and password for a token. DELETE: revoke my token."""

    # Token only: no session authentication, so a script needs no CSRF token to sign in.
    authentication_classes = [TokenAuthentication]

    # Component names: every API nests "Input"/"Output", which would collide in the schema.
    @extend_schema_serializer(component_name="AuthTokenInput")
    class Input(serializers.Serializer):
        username = serializers.CharField(max_length=150)
        # Passwords may begin or end with spaces.
        password = serializers.CharField(max_length=1024, trim_whitespace=False)
        # Councilors with a TOTP device (CONTRACT.md "Council").
        otp = serializers.CharField(max_length=16, required=False, allow_blank=True)

    @extend_schema_serializer(component_name="AuthToken")
    class Output(serializers.Serializer):
        token = serializers.CharField()

    def get_permissions(self):
        if self.request.method == "DELETE":
            return [IsAuthenticated()]
        return [AllowAny()]

    @extend_schema(request=Input, responses={200: Output})
    def post(self, request: Request) -> Response:
        serializer = self.Input(data=request.data)
        serializer.is_valid(raise_exception=True)
        # Django's own request: django-axes counts failures and marks lockouts on it.
        token = auth.token_issue(request=request._request, **serializer.validated_data)
        return Response(self.Output({"token": token.key}).data)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request) -> Response:
        auth.token_revoke(user=request.user, request=request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeApi(APIView):
    """The signed-in user: username, display name and primary post."""

    @extend_schema_serializer(component_name="Me")
    class Output(serializers.Serializer):
        username = serializers.CharField()
        display_name = serializers.CharField()
        unit = serializers.CharField(allow_null=True)
        position = serializers.CharField(allow_null=True)

    @extend_schema(responses={200: Output})
    def get(self, request: Request) -> Response:
        user = request.user
        person = person_for_user(user)
        post = person_primary_post(person) if person else None
        data = {
            "username": user.get_username(),
            "display_name": person.display_name if person else user.get_username(),
            "unit": post.unit.name if post else None,
            "position": post.position.title if post else None,
        }
        return Response(self.Output(data).data)
