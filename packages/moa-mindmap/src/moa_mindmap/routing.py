"""WebSocket routes: include them in your ASGI application's ``URLRouter``."""

from __future__ import annotations

from django.urls import path

from moa_mindmap.consumers import MindmapConsumer

websocket_urlpatterns = [
    path("ws/mindmap/<int:mindmap_id>/", MindmapConsumer.as_asgi()),
]
