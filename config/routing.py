"""WebSocket routes of every app (chat and council add theirs here)."""

websocket_urlpatterns: list = []
