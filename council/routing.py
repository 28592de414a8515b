"""WebSocket routes of the council module (mounted by config/routing.py)."""

from django.urls import path

from council.consumers import MeetingConsumer

websocket_urlpatterns = [
    path("ws/council/meetings/<int:meeting_id>/", MeetingConsumer.as_asgi()),
]
