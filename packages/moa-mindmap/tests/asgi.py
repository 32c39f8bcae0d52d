"""ASGI app for server tests: Django pages, static files and the mindmap socket."""

from __future__ import annotations

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

from django.core.asgi import get_asgi_application

django_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler  # noqa: E402
from django.urls import path  # noqa: E402

from moa_mindmap.routing import websocket_urlpatterns  # noqa: E402
from tests.ping import PingConsumer  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": ASGIStaticFilesHandler(django_app),
        "websocket": AuthMiddlewareStack(
            URLRouter([path("ws/ping/", PingConsumer.as_asgi()), *websocket_urlpatterns])
        ),
    }
)
