"""WebSocket routes, mounted by asgi.py under AllowedHostsOriginValidator."""

from __future__ import annotations

from django.urls import path

from {{ cookiecutter.project_slug }}.consumers import PingConsumer

websocket_urlpatterns = [
    path("ws/ping/", PingConsumer.as_asgi()),
]
