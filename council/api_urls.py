"""Council endpoints under /api/v1/council/ (CONTRACT.md "Council")."""

from django.urls import path

from council.api import sessions
from council.api import views as api

app_name = "council_api"

_PAGE = "council/materials/<int:material_id>/pages/<int:number>/"

urlpatterns = [
    path("council/sessions/", sessions.SessionListCreateApi.as_view(), name="sessions"),
    path("council/sessions/<int:session_id>/", sessions.SessionDetailApi.as_view(), name="session"),
    path("council/meetings/", api.MeetingListCreateApi.as_view(), name="meetings"),
    path(
        "council/meetings/<int:meeting_id>/session/",
        sessions.MeetingSessionApi.as_view(),
        name="meeting-session",
    ),
    path("council/agenda/<int:item_id>/", sessions.AgendaItemDetailApi.as_view(), name="agenda"),
    path(
        "council/agenda/<int:item_id>/move/",
        sessions.AgendaItemMoveApi.as_view(),
        name="agenda-move",
    ),
    path("council/meetings/<int:meeting_id>/", api.MeetingDetailApi.as_view(), name="meeting"),
    path(
        "council/meetings/<int:meeting_id>/search/",
        api.MeetingSearchApi.as_view(),
        name="meeting-search",
    ),
    path(
        "council/meetings/<int:meeting_id>/agenda/",
        sessions.AgendaItemCreateApi.as_view(),
        name="meeting-agenda",
    ),
    path(
        "council/meetings/<int:meeting_id>/presenter/",
        api.PresenterApi.as_view(),
        name="presenter",
    ),
    path("council/materials/", api.MaterialCreateApi.as_view(), name="materials"),
    path("council/materials/<int:material_id>/", api.MaterialDetailApi.as_view(), name="material"),
    path(
        "council/materials/<int:material_id>/versions/",
        api.MaterialVersionCreateApi.as_view(),
        name="material-versions",
    ),
    path(
        "council/materials/<int:material_id>/read-status/",
        api.MaterialReadStatusApi.as_view(),
        name="material-read-status",
    ),
    path(
        "council/materials/<int:material_id>/search/",
        api.MaterialSearchApi.as_view(),
        name="material-search",
    ),
    path(
        "council/materials/<int:material_id>/annotations/",
        api.MyAnnotationsApi.as_view(),
        name="material-annotations",
    ),
    path(_PAGE, api.MaterialPageImageApi.as_view(), name="page"),
    path(_PAGE + "annotation/", api.AnnotationApi.as_view(), name="annotation"),
    path(
        "council/annotations/export/", api.AnnotationExportApi.as_view(), name="annotation-export"
    ),
]
