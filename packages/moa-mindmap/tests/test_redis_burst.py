"""On Redis, a burst of joins or of cursors loses no op: every client gets every sequence number.

Two channel-layer instances stand for two server processes on one Redis. Fifty
clients join at once while ops are being made; each client applies ``applied``
frames in sequence order, resyncs when it sees a gap (a later ``seq``, or a
``tick`` ahead of it), as the editor does, and must reach the last op's
``seq``. A lost op that nothing reveals leaves its client behind: the test fails.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.layers import channel_layers
from django.db import connections
from django.test import override_settings

from moa_mindmap.layers import redis_channel_layer
from moa_testsupport.services import require_redis

from .communicators import Client, make_communicator

CLIENTS = 50
OP_MAKERS = 5
# Each maker keeps making ops until every client has joined, then this many more.
OPS_AFTER_JOINS = 3
# Bounds the run (and stays under MOA_MINDMAP_MAX_NODES).
MAX_OPS_EACH = 150
# Under MOA_MINDMAP_MAX_OPS_PER_SECOND (30) per connection.
OP_INTERVAL_S = 0.05
# Far beyond an op's round trip here, even on a loaded machine; below the 20 s
# heartbeat's tick, which would reveal a lost op.
ACK_TIMEOUT_S = 15.0
# Every client moves its cursor this often (under the 100 frames/s limit), for this long.
CURSOR_STEP_S = 0.1
CURSOR_STORM_S = 2.0
# Well within the run's bound; one sync answer per second per client at most.
CATCH_UP_S = 15.0
CLOSE_S = 20.0


@pytest.fixture
async def two_redis_processes() -> AsyncIterator[None]:
    """Aliases ``a`` and ``b`` as configured by ``redis_channel_layer``: two processes."""
    url = require_redis()
    prefix = f"moa-mindmap-burst-{uuid.uuid4().hex[:8]}"
    layers = {alias: redis_channel_layer(url, prefix=prefix) for alias in ("a", "b")}
    with override_settings(CHANNEL_LAYERS=layers, MOA_MINDMAP_MAX_CONNECTIONS_PER_USER=CLIENTS):
        yield
        for alias in ("a", "b"):
            await channel_layers[alias].flush()
            await channel_layers[alias].close_pools()


class Replica:
    """What a client knows: the last ``seq`` applied in order, resyncing on gaps."""

    def __init__(self, client: Client, seq: int) -> None:
        self.client = client
        self.seq = seq
        self.resyncs = 0
        self.syncing = False

    async def request_sync(self) -> None:
        if not self.syncing:
            self.syncing = True
            self.resyncs += 1
            await self.client.send({"type": "sync", "since": self.seq})

    async def handle(self, frame: dict[str, Any]) -> None:
        kind = frame["type"]
        if kind == "applied":
            if frame["seq"] == self.seq + 1:
                self.seq = frame["seq"]
            elif frame["seq"] > self.seq + 1:
                await self.request_sync()
        elif kind in ("replay", "snapshot"):
            self.syncing = False
            self.seq = max(self.seq, frame["seq"])
        elif kind == "tick" and frame["seq"] > self.seq:
            await self.request_sync()

    async def catch_up(self, last_seq: int, deadline: float) -> int:
        """Read until ``last_seq`` is applied or ``deadline``; return the seq reached."""
        while self.seq < last_seq:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            try:
                frame = await self.client.receive(timeout=left)
            except TimeoutError:
                break
            await self.handle(frame)
        return self.seq


async def connect(user: Any, mindmap_id: int, alias: str) -> Replica:
    communicator = make_communicator(user, mindmap_id, alias=alias)
    connected, _ = await communicator.connect(timeout=20)
    assert connected
    client = Client(communicator)
    snapshot = await client.receive_type("snapshot", timeout=20)
    return Replica(client, snapshot["seq"])


async def close_all(replicas: list[Replica]) -> None:
    """Disconnect every client at once, within one bound, then the test's connections."""
    closing = asyncio.gather(
        *(replica.client.close() for replica in replicas), return_exceptions=True
    )
    with contextlib.suppress(TimeoutError, asyncio.CancelledError):
        await asyncio.wait_for(closing, CLOSE_S)
    await sync_to_async(connections.close_all)()


async def assert_every_op_reached(
    replicas: list[Replica], last_seq: int, caplog: pytest.LogCaptureFixture
) -> None:
    """Every client reaches ``last_seq`` in time, and no group message was dropped."""
    deadline = time.monotonic() + CATCH_UP_S
    reached = await asyncio.gather(*(replica.catch_up(last_seq, deadline) for replica in replicas))
    behind = [seq for seq in reached if seq < last_seq]
    assert not behind, f"{len(behind)} of {CLIENTS} clients never learnt of ops up to {last_seq}"
    dropped = [record.getMessage() for record in caplog.records if "capacity" in record.msg]
    assert not dropped


async def make_ops(replica: Replica, maker: int, joined: asyncio.Event) -> list[int]:
    """Make ops, each once the last is acknowledged, until the joins are over; return seqs.

    An op is acknowledged by its broadcast ``applied`` frame (or, after a gap,
    by the replay holding it); none within ``ACK_TIMEOUT_S`` means it was lost.
    """
    seqs: list[int] = []
    after = 0
    for number in range(MAX_OPS_EACH):
        if joined.is_set():
            after += 1
            if after > OPS_AFTER_JOINS:
                break
        op_id = await replica.client.op("node.create", text=f"{maker}-{number}", x=number, y=maker)
        deadline = time.monotonic() + ACK_TIMEOUT_S
        while len(seqs) == number:
            try:
                frame = await replica.client.receive(timeout=max(0.0, deadline - time.monotonic()))
            except TimeoutError:
                raise AssertionError(
                    f"op {op_id} of maker {maker} unacknowledged after {ACK_TIMEOUT_S} s: lost"
                ) from None
            ops = frame["ops"] if frame["type"] == "replay" else [frame]
            seqs.extend(op["seq"] for op in ops if op.get("id") == op_id and "seq" in op)
            if frame["type"] == "error" and frame["id"] == op_id:
                raise AssertionError(frame["message"])
            await replica.handle(frame)
        await asyncio.sleep(OP_INTERVAL_S)
    return seqs


@pytest.mark.django_db(transaction=True)
async def test_fifty_simultaneous_joins_lose_no_op(two_redis_processes, users, mindmap, caplog):
    """While 50 clients join at once over two processes, every op reaches every client,
    and the channel layer drops no group message."""
    caplog.set_level(logging.INFO, logger="channels_redis")
    makers = [
        await connect(users["alice"], mindmap.pk, "ab"[number % 2]) for number in range(OP_MAKERS)
    ]
    joining = [
        connect(users["bob"] if number % 3 else users["alice"], mindmap.pk, "ab"[number % 2])
        for number in range(CLIENTS - OP_MAKERS)
    ]
    replicas: list[Replica] = []
    try:
        joined = asyncio.Event()
        made = asyncio.gather(
            *(make_ops(maker, number, joined) for number, maker in enumerate(makers))
        )
        replicas = list(await asyncio.gather(*joining))
        joined.set()
        seqs = [seq for maker_seqs in await made for seq in maker_seqs]
        assert sorted(seqs) == list(range(1, len(seqs) + 1))
        await assert_every_op_reached(makers + replicas, max(seqs), caplog)
    finally:
        await close_all(makers + replicas)


async def move_cursor(replica: Replica, number: int, stop: asyncio.Event) -> int:
    """Move this client's cursor every ``CURSOR_STEP_S`` until ``stop``; return the moves."""
    moves = 0
    while not stop.is_set():
        moves += 1
        await replica.client.send({"type": "cursor", "x": moves, "y": number})
        await asyncio.sleep(CURSOR_STEP_S)
    return moves


@pytest.mark.django_db(transaction=True)
async def test_cursors_of_fifty_clients_crowd_out_no_op(
    two_redis_processes, users, mindmap, caplog
):
    """With 50 clients moving their cursors all the time, over two processes, every op
    still reaches every client and the channel layer drops no group message."""
    caplog.set_level(logging.INFO, logger="channels_redis")
    replicas = [
        await connect(users["bob"] if number % 3 else users["alice"], mindmap.pk, "ab"[number % 2])
        for number in range(CLIENTS)
    ]
    try:
        stop = asyncio.Event()
        moving = asyncio.gather(
            *(move_cursor(replica, number, stop) for number, replica in enumerate(replicas))
        )
        # The makers stop making ops once the cursors have moved for CURSOR_STORM_S.
        storm = asyncio.get_running_loop().call_later(CURSOR_STORM_S, stop.set)
        seqs = [
            seq
            for maker_seqs in await asyncio.gather(
                *(make_ops(replicas[n], n, stop) for n in range(OP_MAKERS))
            )
            for seq in maker_seqs
        ]
        storm.cancel()
        stop.set()
        assert sum(await moving) > CLIENTS
        await assert_every_op_reached(replicas, max(seqs), caplog)
    finally:
        await close_all(replicas)
