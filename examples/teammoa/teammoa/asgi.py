"""ASGI entry point: HTTP through Django, WebSockets through Channels."""

from __future__ import annotations

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "teammoa.settings")

from django.core.asgi import get_asgi_application

django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from moa_ops.asgi import LiveProbeASGIMiddleware  # noqa: E402
from teammoa.routing import websocket_urlpatterns  # noqa: E402

# The liveness probe is answered before Django: cheap, and still answering while
# every Django thread is busy.
application = LiveProbeASGIMiddleware(
    ProtocolTypeRouter(
        {
            "http": django_asgi_app,
            # No AllowedHostsOriginValidator: MindmapConsumer checks the full Origin
            # (scheme, host, port) itself and closes a foreign one with 4403, a
            # code the editor does not retry; the validator would refuse the
            # handshake first, which browsers report as 1006.
            "websocket": AuthMiddlewareStack(URLRouter(websocket_urlpatterns)),
        }
    )
)
