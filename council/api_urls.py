"""Council endpoints under /api/v1/council/ (CONTRACT.md "Council")."""

from django.urls import path

from council.api import annotations, materials, meetings, sessions

app_name = "council_api"

_PAGE = "council/materials/<int:material_id>/pages/<int:number>/"

urlpatterns = [
    path("council/sessions/", sessions.SessionListCreateApi.as_view(), name="sessions"),
    path("council/sessions/<int:session_id>/", sessions.SessionDetailApi.as_view(), name="session"),
    path("council/meetings/", meetings.MeetingListCreateApi.as_view(), name="meetings"),
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
    path("council/meetings/<int:meeting_id>/", meetings.MeetingDetailApi.as_view(), name="meeting"),
    path(
        "council/meetings/<int:meeting_id>/search/",
        meetings.MeetingSearchApi.as_view(),
        name="meeting-search",
    ),
    path(
        "council/meetings/<int:meeting_id>/agenda/",
        sessions.AgendaItemCreateApi.as_view(),
        name="meeting-agenda",
    ),
    path(
        "council/meetings/<int:meeting_id>/presenter/",
        meetings.PresenterApi.as_view(),
        name="presenter",
    ),
    path("council/materials/", materials.MaterialCreateApi.as_view(), name="materials"),
    path(
        "council/materials/<int:material_id>/",
        materials.MaterialDetailApi.as_view(),
        name="material",
    ),
    path(
        "council/materials/<int:material_id>/versions/",
        materials.MaterialVersionCreateApi.as_view(),
        name="material-versions",
    ),
    path(
        "council/materials/<int:material_id>/read-status/",
        materials.MaterialReadStatusApi.as_view(),
        name="material-read-status",
    ),
    path(
        "council/materials/<int:material_id>/search/",
        materials.MaterialSearchApi.as_view(),
        name="material-search",
    ),
    path(
        "council/materials/<int:material_id>/annotations/",
        annotations.MyAnnotationsApi.as_view(),
        name="material-annotations",
    ),
    path(_PAGE, materials.MaterialPageImageApi.as_view(), name="page"),
    path(_PAGE + "annotation/", annotations.AnnotationApi.as_view(), name="annotation"),
    path(
        "council/annotations/export/",
        annotations.AnnotationExportApi.as_view(),
        name="annotation-export",
    ),
]
