"""ASGI entry point: HTTP through Django, WebSockets through Channels (config.routing).

WebSockets pass realtime's stack: origin check (a browser's cross-site origin is refused; a
client without an Origin header is not a browser), then the user from ``?token=`` or the
session cookie (realtime/README.md).
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from channels.routing import ProtocolTypeRouter, URLRouter
from django.core.asgi import get_asgi_application

django_asgi_app = get_asgi_application()

from config.middleware import BodySizeGuard  # noqa: E402  (needs the apps loaded)
from config.routing import websocket_urlpatterns  # noqa: E402  (needs the apps loaded)
from realtime.middleware import realtime_stack  # noqa: E402

application = ProtocolTypeRouter(
    {
        # A body over the upload limit is refused before Django reads it (config.middleware).
        "http": BodySizeGuard(django_asgi_app),
        "websocket": realtime_stack(URLRouter(websocket_urlpatterns)),
    }
)
