from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.db import connections

from moa_mindmap.models import Mindmap

from .communicators import Client, make_communicator
from .live import migrate, server_env, sqlite_file


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SQLite file migrated once per session, for live servers to copy."""
    directory = tmp_path_factory.mktemp("migrated")
    migrate(server_env(directory))
    return sqlite_file(directory)


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
        # A receive that timed out has already cancelled that client's application;
        # closing it then raises CancelledError, which must not skip the database flush.
        with contextlib.suppress(Exception, asyncio.CancelledError):
            await asyncio.wait_for(client.close(), 5)
    # Channels' communicator keeps database_sync_to_async from closing the connection
    # of sync_to_async's thread: close it, or PostgreSQL cannot drop the test database.
    await sync_to_async(connections.close_all)()
