"""WebSocket routes of the demo: the live mindmap.

Mounted by asgi.py without an origin validator: the mindmap consumer checks
the Origin itself (see docs/explanation/security/mindmap.md).
"""

from __future__ import annotations

from moa_mindmap.routing import websocket_urlpatterns

__all__ = ["websocket_urlpatterns"]
