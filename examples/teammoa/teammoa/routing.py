"""WebSocket routes, mounted by asgi.py.

Each consumer that acts for the logged-in user checks the handshake's Origin
itself (moa-mindmap's does); asgi.py adds no origin check of its own.
"""

from __future__ import annotations

from django.urls import path
from moa_mindmap.routing import websocket_urlpatterns as mindmap_websocket_urlpatterns

from teammoa.consumers import PingConsumer

websocket_urlpatterns = [
    # django-stubs types path() for views; Channels routes consumers with it too.
    path("ws/ping/", PingConsumer.as_asgi()),  # type: ignore[arg-type]
    # ws/mindmap/<id>/: the editor's live connection (moa-mindmap).
    *mindmap_websocket_urlpatterns,
]
