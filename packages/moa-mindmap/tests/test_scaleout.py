"""Several processes on one Redis: ops made through one reach clients of another."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from channels.db import database_sync_to_async
from channels.layers import channel_layers
from django.db import connections
from django.test import override_settings

from moa_mindmap.layers import redis_channel_layer
from moa_mindmap.models import Node
from moa_testsupport.services import require_redis

from .communicators import make_communicator
from .live import Session, migrate, redis_server_env, servers


@pytest.fixture
async def two_redis_layers() -> AsyncIterator[None]:
    """Aliases ``a`` and ``b``: separate layer instances, as in two processes."""
    url = require_redis()
    prefix = f"moa-mindmap-test-{uuid.uuid4().hex[:8]}"
    layers = {alias: redis_channel_layer(url, prefix=prefix) for alias in ("a", "b")}
    with override_settings(CHANNEL_LAYERS=layers):
        assert channel_layers["a"] is not channel_layers["b"]
        yield
        for alias in ("a", "b"):
            await channel_layers[alias].flush()
            await channel_layers[alias].close_pools()


@pytest.mark.django_db(transaction=True)
async def test_ops_cross_separate_redis_layers(two_redis_layers, join, users, mindmap):
    """An op applied through layer A is broadcast to a client on layer B."""
    alice = await join(users["alice"], mindmap.pk, alias="a")
    bob = await join(users["bob"], mindmap.pk, alias="b")
    joined = await alice.receive_type("presence")
    assert joined["user"]["name"] == "bob"
    await alice.op("node.create", text="over redis")
    mine = await alice.receive_type("applied", timeout=5)
    theirs = await bob.receive_type("applied", timeout=5)
    assert theirs == mine
    assert theirs["nodes"][0]["text"] == "over redis"
    await bob.send({"type": "cursor", "x": 1, "y": 2})
    cursor = await alice.receive_type("cursor", timeout=5)
    assert (cursor["x"], cursor["user"]["name"]) == (1, "bob")


@pytest.mark.django_db(transaction=True)
async def test_idle_consumer_survives_redis_read_timeouts(two_redis_layers, join, users, mindmap):
    """With the recommended layer config an idle consumer outlives redis-py's 5 s timeout."""
    alice = await join(users["alice"], mindmap.pk, alias="a")
    bob = await join(users["bob"], mindmap.pk, alias="b")
    await alice.receive_type("presence")
    await asyncio.sleep(6.5)
    await bob.op("node.create", text="after idling")
    frame = await alice.receive_type("applied", timeout=5)
    assert frame["nodes"][0]["text"] == "after idling"
    assert await Node.objects.acount() == 1


def test_two_server_processes_share_ops_through_redis(tmp_path: Path):
    """Two uvicorn processes on one Redis: an edit through A reaches a client of B."""
    import websockets.sync.client as ws_client

    env = redis_server_env(tmp_path)
    migrate(env)
    with servers(env, count=2) as (a, b):
        alice = Session(a.url, "alice")
        mindmap_id = alice.get_json("/make/Shared/")["id"]
        alice.get_json(f"/share/{mindmap_id}/bob/")
        bob = Session(b.url, "bob")

        def open_socket(server_url: str, session: Session) -> ws_client.ClientConnection:
            return ws_client.connect(
                server_url.replace("http", "ws") + f"/ws/mindmap/{mindmap_id}/",
                additional_headers={"Cookie": session.cookie_header(), "Origin": server_url},
                open_timeout=10,
            )

        def frames(socket: ws_client.ClientConnection, wanted: str) -> dict:
            for _ in range(50):
                frame = json.loads(socket.recv(timeout=10))
                for item in frame["frames"] if frame["type"] == "batch" else [frame]:
                    if item["type"] == wanted:
                        return item  # type: ignore[no-any-return]
            raise AssertionError(f"no {wanted} frame")

        with open_socket(a.url, alice) as on_a, open_socket(b.url, bob) as on_b:
            assert frames(on_a, "snapshot")["seq"] == 0
            assert frames(on_b, "snapshot")["seq"] == 0
            assert frames(on_a, "presence")["user"]["name"] == "bob"
            on_a.send(
                json.dumps(
                    {
                        "type": "op",
                        "op": "node.create",
                        "id": "a-1",
                        "text": "from A",
                        "x": 1,
                        "y": 2,
                    }
                )
            )
            applied = frames(on_b, "applied")
            assert (applied["id"], applied["seq"]) == ("a-1", 1)
            assert applied["nodes"][0]["text"] == "from A"
            node = applied["nodes"][0]
            on_b.send(
                json.dumps(
                    {
                        "type": "op",
                        "op": "node.update",
                        "id": "b-1",
                        "node": node["id"],
                        "base_version": 1,
                        "text": "via B",
                    }
                )
            )
            assert frames(on_a, "applied")["id"] == "a-1"
            back = frames(on_a, "applied")
            assert (back["id"], back["nodes"][0]["text"]) == ("b-1", "via B")


@pytest.mark.django_db(transaction=True)
async def test_unreachable_redis_closes_with_1013(users, mindmap):
    """With the channel layer's Redis down, a join is closed with 1013 (try again
    later), which the editor retries with backoff, not dropped without a close frame."""
    dead = {"default": redis_channel_layer("redis://127.0.0.1:1/0")}
    with override_settings(CHANNEL_LAYERS=dead):
        communicator = make_communicator(users["alice"], mindmap.id)
        await communicator.send_input({"type": "websocket.connect"})
        outputs = []
        while not outputs or outputs[-1]["type"] != "websocket.close":
            outputs.append(await communicator.receive_output(timeout=15))
        await communicator.wait(timeout=5)
    # The consumer stopped with its database work done on Channels' thread: close
    # that thread's connection, as the end of a request would.
    await database_sync_to_async(connections.close_all)()
    assert outputs[-1]["code"] == 1013
    assert not any(frame.get("type") == "websocket.send" for frame in outputs)
