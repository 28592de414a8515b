"""Directory endpoints under /api/v1/ (see CONTRACT.md "Authentication")."""

from django.urls import path

from directory.api.notifications import NotificationListApi, NotificationReadApi
from directory.api.views import AuthTokenApi, MeApi

app_name = "directory_api"

urlpatterns = [
    path("auth/token/", AuthTokenApi.as_view(), name="auth-token"),
    path("me/", MeApi.as_view(), name="me"),
    path("notifications/", NotificationListApi.as_view(), name="notifications"),
    path("notifications/read/", NotificationReadApi.as_view(), name="notifications-read"),
]
