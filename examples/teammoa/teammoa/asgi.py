"""ASGI entry point: HTTP through Django, WebSockets through Channels.

Production runs it with uvicorn (see the Dockerfile); `manage.py runserver`
serves it through daphne (moa_ops.devserver, first in INSTALLED_APPS).
"""

from __future__ import annotations

import os

from django.conf import settings
from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "teammoa.settings.production")
# Set up Django before importing code that imports models.
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from moa_ops.asgi import LiveProbeASGIMiddleware  # noqa: E402

from teammoa.routing import websocket_urlpatterns  # noqa: E402

# Browsers send cookies with cross-site WebSocket handshakes, so a consumer that
# acts for the user checks the Origin itself: moa-mindmap's compares full origins
# as CSRF does and closes a foreign one with 4403, which its editor knows not to
# retry. ws/ping/ answers anyone alike and has nothing to protect.
# (types-channels wants its own type of URL pattern, which Django's path() does not return.)
websocket_app = AuthMiddlewareStack(URLRouter(websocket_urlpatterns))  # type: ignore[arg-type]
if getattr(settings, "SENTRY_DSN", ""):
    # The production settings started Sentry. Its Django integration reports what
    # Django's HTTP handler serves; Channels 4's consumers run outside it, so their
    # exceptions (and traces) go through Sentry's ASGI middleware.
    from sentry_sdk.integrations.asgi import SentryAsgiMiddleware

    websocket_app = SentryAsgiMiddleware(websocket_app, asgi_version=3)

# The liveness probe is answered before Django runs: the container's HEALTHCHECK
# stays cheap and keeps answering while every Django thread is busy. Readiness
# (health/ready/) still goes through Django and HealthProbeMiddleware. moa-ops
# types an ASGI scope as a mapping, types-channels as asgiref's typed dicts.
application = LiveProbeASGIMiddleware(
    ProtocolTypeRouter({"http": django_asgi_app, "websocket": websocket_app})  # type: ignore[arg-type]
)
