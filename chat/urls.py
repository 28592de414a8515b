"""Chat screens under /chat/ (the API is chat/api/urls.py)."""

from django.urls import path

from chat import views

urlpatterns = [
    path("", views.chat_home, name="chat"),
    path("must-read/", views.mandatory_dashboard, name="chat-mandatory"),
    path("records/", views.records_page, name="chat-records"),
    path("records/export/", views.records_export, name="chat-records-export"),
    path(
        "records/holds/<int:hold_id>/release/",
        views.legal_hold_release_view,
        name="chat-legal-hold-release",
    ),
    path("rooms/<int:room_id>/", views.chat_home, name="chat"),
]
