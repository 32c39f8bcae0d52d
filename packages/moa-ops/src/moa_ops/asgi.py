"""An ASGI wrapper that answers the liveness probe before Django runs at all.

    application = LiveProbeASGIMiddleware(get_asgi_application())

``HealthProbeMiddleware`` already skips host validation and redirects, but every
request still pays for Django's ASGI handler (request signals, each run on a
thread). The liveness probe touches nothing, so it can be answered at the ASGI
layer: it stays fast, and it keeps answering while Django's threads are busy.
Readiness and the full report still go through Django.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from moa_ops.probes import probe_for_path

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

LIVE_BODY = json.dumps({"status": "ok"}).encode()
LIVE_HEADERS = [
    (b"content-type", b"application/json"),
    (b"cache-control", b"no-store"),
    (b"content-length", str(len(LIVE_BODY)).encode()),
]


class LiveProbeASGIMiddleware:
    """Answer ``GET``/``HEAD`` on the ``moa_ops:live`` path; pass everything else on."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("method") in ("GET", "HEAD"):
            path = scope["path"]
            root_path = scope.get("root_path", "")
            if root_path and path.startswith(root_path):
                path = path[len(root_path) :]
            if probe_for_path(path) == "live":
                await send({"type": "http.response.start", "status": 200, "headers": LIVE_HEADERS})
                body = b"" if scope["method"] == "HEAD" else LIVE_BODY
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)
