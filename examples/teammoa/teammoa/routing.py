"""WebSocket routes of the demo: the live mindmap."""

from __future__ import annotations

from moa_mindmap.routing import websocket_urlpatterns

__all__ = ["websocket_urlpatterns"]
