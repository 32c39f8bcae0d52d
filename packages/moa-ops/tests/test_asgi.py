"""``LiveProbeASGIMiddleware``: the liveness probe answered before Django's handler."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from django.core.asgi import get_asgi_application

from moa_ops.asgi import LiveProbeASGIMiddleware

pytestmark = pytest.mark.django_db(transaction=True)


async def call(app: Any, path: str, method: str = "GET", host: bytes = b"10.0.0.9") -> list[Any]:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", host)],
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8000),
    }
    sent: list[Any] = []
    messages = [{"type": "http.request", "body": b"", "more_body": False}]

    async def receive() -> dict[str, Any]:
        if messages:
            return messages.pop()
        await asyncio.Event().wait()  # the client never disconnects; Django cancels this
        raise AssertionError("unreachable")

    async def send(message: Any) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent


async def test_live_is_answered_without_django() -> None:
    """The live path gets 200 JSON even though the wrapped app is never called."""

    async def broken(scope: Any, receive: Any, send: Any) -> None:
        raise AssertionError("Django must not run for the live probe")

    start, body = await call(LiveProbeASGIMiddleware(broken), "/health/live/")
    assert start["status"] == 200
    assert (b"cache-control", b"no-store") in start["headers"]
    assert json.loads(body["body"]) == {"status": "ok"}
    head_start, head_body = await call(LiveProbeASGIMiddleware(broken), "/health/live/", "HEAD")
    assert head_start["status"] == 200
    assert head_body["body"] == b""


async def test_everything_else_reaches_django() -> None:
    """Readiness, other paths, other methods and bad hosts go through Django as usual."""
    app = LiveProbeASGIMiddleware(get_asgi_application())
    ready = await call(app, "/health/ready/")
    assert ready[0]["status"] == 200
    assert (await call(app, "/", host=b"evil.example"))[0]["status"] == 400
    assert (await call(app, "/", host=b"app.example.com"))[0]["status"] == 200
    assert (await call(app, "/health/live/", "POST"))[0]["status"] == 405
