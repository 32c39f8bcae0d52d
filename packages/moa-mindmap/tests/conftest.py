from __future__ import annotations

import asyncio
import contextlib
import json
from collections import deque
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser

from moa_mindmap.models import Mindmap
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

    async def receive(self, timeout: float = 3) -> dict[str, Any]:
        if not self.frames:
            frame = json.loads(await self.communicator.receive_from(timeout))
            if frame["type"] == "batch":
                self.frames.extend(frame["frames"])
            else:
                self.frames.append(frame)
        return self.frames.popleft()

    async def receive_type(self, *types: str, timeout: float = 3) -> dict[str, Any]:
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


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SQLite file migrated once per session, for live servers to copy."""
    from .live import migrate, server_env

    env = server_env(tmp_path_factory.mktemp("migrated"))
    migrate(env)
    return Path(env["MOA_MINDMAP_TEST_SQLITE_FILE"])


@pytest.fixture
def users(django_user_model: Any) -> dict[str, Any]:
    return {
        name: django_user_model.objects.create_user(username=name, password="pw")
        for name in ("alice", "bob", "eve")
    }


@pytest.fixture
def mindmap(users: dict[str, Any]) -> Mindmap:
    mindmap = Mindmap.objects.create(title="Plans", owner=users["alice"])
    mindmap.members.add(users["bob"])
    return mindmap


@pytest.fixture
async def join() -> AsyncIterator[Callable[..., Any]]:
    """Connect clients; every one still open is closed at the end."""
    opened: list[Client] = []

    async def connect(
        user: Any, mindmap_id: int, *, snapshot: bool = True, **kwargs: Any
    ) -> Client:
        communicator = make_communicator(user, mindmap_id, **kwargs)
        connected, _ = await communicator.connect(timeout=5)
        assert connected
        client = Client(communicator)
        opened.append(client)
        if snapshot:
            frame = await client.receive_type("snapshot")
            client.snapshot = frame  # type: ignore[attr-defined]
        return client

    yield connect
    for client in opened:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(client.close(), 5)


__all__ = ["ORIGIN", "Client", "get_user_model", "make_communicator"]
