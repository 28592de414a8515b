"""Screens of the council module under /council/ (the home is mounted as "council")."""

from django.urls import path

from council import console_views, views

app_name = "council"

urlpatterns = [
    path("meetings/<int:meeting_id>/", views.meeting_detail, name="meeting"),
    path("meetings/new/", views.meeting_create, name="meeting-create"),
    path("sessions/new/", console_views.session_create, name="session-create"),
    path(
        "meetings/<int:meeting_id>/session/",
        console_views.meeting_session,
        name="meeting-session",
    ),
    path("meetings/<int:meeting_id>/agenda/", console_views.agenda_add, name="agenda-add"),
    path("agenda/<int:item_id>/", console_views.agenda_update, name="agenda-update"),
    path("agenda/<int:item_id>/delete/", console_views.agenda_delete, name="agenda-delete"),
    path("agenda/<int:item_id>/move/", console_views.agenda_move, name="agenda-move"),
    path("meetings/<int:meeting_id>/present/", views.present, name="present"),
    path("materials/<int:material_id>/", views.reader, name="reader"),
    path("materials/upload/<int:meeting_id>/", views.material_upload, name="material-upload"),
    path("materials/<int:material_id>/status/", views.read_status, name="read-status"),
    path("totp/", views.totp_enrol, name="totp-enrol"),
    path("councilors/", views.councilor_list, name="councilors"),
    path("councilors/<int:councilor_id>/reset-totp/", views.totp_reset, name="totp-reset"),
    path("sw.js", views.service_worker, name="service-worker"),
]
