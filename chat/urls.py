"""Chat screens under /chat/ (the API is chat/api/urls.py)."""

from django.urls import path

from chat import views

urlpatterns = [
    path("", views.chat_home, name="chat"),
    path("must-read/", views.mandatory_dashboard, name="chat-mandatory"),
    path("rooms/<int:room_id>/", views.chat_home, name="chat"),
]
