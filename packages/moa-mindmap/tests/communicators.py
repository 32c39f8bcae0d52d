"""Protocol clients over Channels' ``WebsocketCommunicator``, in process."""

from __future__ import annotations

import json
from collections import deque
from typing import Any

from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser

from moa_mindmap.routing import websocket_urlpatterns

ORIGIN = b"http://testserver"


class Client:
    """A protocol client over a ``WebsocketCommunicator``; unpacks batches."""

    def __init__(self, communicator: WebsocketCommunicator) -> None:
        self.communicator = communicator
        self.frames: deque[dict[str, Any]] = deque()
        self.counter = 0

    async def send(self, frame: dict[str, Any] | str) -> None:
        text = frame if isinstance(frame, str) else json.dumps(frame)
        await self.communicator.send_to(text_data=text)

    async def receive(self, timeout: float = 10) -> dict[str, Any]:
        if not self.frames:
            frame = json.loads(await self.communicator.receive_from(timeout))
            if frame["type"] == "batch":
                self.frames.extend(frame["frames"])
            else:
                self.frames.append(frame)
        return self.frames.popleft()

    async def receive_type(self, *types: str, timeout: float = 10) -> dict[str, Any]:
        """Return the next frame of one of ``types``, skipping others (bounded)."""
        for _ in range(200):
            frame = await self.receive(timeout)
            if frame["type"] in types:
                return frame
        raise AssertionError(f"no {types} frame among 200")

    async def nothing(self, timeout: float = 0.2) -> bool:
        return not self.frames and await self.communicator.receive_nothing(timeout)

    def next_id(self) -> str:
        self.counter += 1
        return f"c{id(self)}-{self.counter}"

    async def op(self, op: str, op_id: str | None = None, **fields: Any) -> str:
        op_id = op_id or self.next_id()
        await self.send({"type": "op", "op": op, "id": op_id, **fields})
        return op_id

    async def reply(self, op: str, **fields: Any) -> dict[str, Any]:
        """Send an op and return the frame answering it (applied/rejected/error)."""
        op_id = await self.op(op, **fields)
        for _ in range(200):
            frame = await self.receive_type("applied", "rejected", "error")
            if frame.get("id") == op_id:
                return frame
        raise AssertionError("no reply")

    async def close(self) -> None:
        """Disconnect; a no-op when the application has already finished."""
        if self.communicator.future.done():
            return
        await self.communicator.disconnect()


def make_communicator(
    user: Any, mindmap_id: int, origin: bytes | None = ORIGIN, alias: str | None = None
) -> WebsocketCommunicator:
    if alias is None:
        application = URLRouter(websocket_urlpatterns)
    else:
        from django.urls import path

        from moa_mindmap.consumers import MindmapConsumer

        application = URLRouter(
            [
                path(
                    "ws/mindmap/<int:mindmap_id>/",
                    type(
                        "AliasConsumer", (MindmapConsumer,), {"channel_layer_alias": alias}
                    ).as_asgi(),
                )
            ]
        )
    headers = [(b"origin", origin)] if origin is not None else []
    communicator = WebsocketCommunicator(application, f"/ws/mindmap/{mindmap_id}/", headers=headers)
    communicator.scope["user"] = user if user is not None else AnonymousUser()
    return communicator
