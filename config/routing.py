"""WebSocket routes of every app (chat and council add theirs here)."""

from chat.routing import websocket_urlpatterns as chat_routes
from council.routing import websocket_urlpatterns as council_routes

websocket_urlpatterns: list = [*chat_routes, *council_routes]
