"""Property: random ops from several clients with random disconnects converge."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from moa_mindmap.models import Edge, Mindmap, Node, Op

from .communicators import make_communicator

ACTIONS = ["create", "create", "update", "move", "reparent", "delete", "edge", "drop"]
steps = st.lists(
    st.tuples(st.integers(0, 2), st.sampled_from(ACTIONS), st.integers(0, 1000)),
    min_size=1,
    max_size=14,
)


class Replica:
    """A client that applies ``applied`` frames strictly in sequence order."""

    def __init__(self, user: Any, mindmap_id: int, name: str) -> None:
        self.user, self.mindmap_id, self.name = user, mindmap_id, name
        self.nodes: dict[int, dict[str, Any]] = {}
        self.edges: dict[int, dict[str, Any]] = {}
        self.seq = 0
        self.pending: dict[str, dict[str, Any]] = {}
        self.acked: set[str] = set()
        self.counter = 0
        self.communicator: Any = None

    async def connect(self, resync: bool) -> None:
        self.communicator = make_communicator(self.user, self.mindmap_id)
        assert (await self.communicator.connect(timeout=5))[0]
        snapshot = await self.next_frame("snapshot")
        if resync:
            # Catch up through the log, then check it matches the snapshot.
            await self.send({"type": "sync", "since": self.seq})
            await self.pump_until(lambda: self.seq == snapshot["seq"])
            assert self.state() == state_of(snapshot["nodes"], snapshot["edges"])
        else:
            self.load(snapshot)
        for frame in list(self.pending.values()):
            await self.send(frame)

    def load(self, snapshot: dict[str, Any]) -> None:
        self.nodes = {node["id"]: node for node in snapshot["nodes"]}
        self.edges = {edge["id"]: edge for edge in snapshot["edges"]}
        self.seq = snapshot["seq"]

    def state(self) -> tuple[Any, Any]:
        return state_of(self.nodes.values(), self.edges.values())

    async def send(self, frame: dict[str, Any]) -> None:
        await self.communicator.send_to(text_data=json.dumps(frame))

    async def receive(self, timeout: float) -> list[dict[str, Any]]:
        frame = json.loads(await self.communicator.receive_from(timeout))
        return frame["frames"] if frame["type"] == "batch" else [frame]

    async def next_frame(self, wanted: str) -> dict[str, Any]:
        for _ in range(100):
            for frame in await self.receive(5):
                if frame["type"] == wanted:
                    return frame
                self.handle(frame)
        raise AssertionError(wanted)

    def handle(self, frame: dict[str, Any]) -> None:
        kind = frame["type"]
        if kind == "applied":
            if frame["seq"] == self.seq + 1:
                for node in frame["nodes"]:
                    self.nodes[node["id"]] = node
                for edge in frame["edges"]:
                    self.edges[edge["id"]] = edge
                for node_id in frame["deleted_nodes"]:
                    self.nodes.pop(node_id, None)
                for edge_id in frame["deleted_edges"]:
                    self.edges.pop(edge_id, None)
                self.seq = frame["seq"]
            else:
                assert frame["seq"] <= self.seq, "in-memory layer lost a frame"
            if frame["id"] in self.pending:
                self.pending.pop(frame["id"])
                self.acked.add(frame["id"])
        elif kind == "replay":
            for applied in frame["ops"]:
                self.handle(applied)
        elif kind in ("rejected", "error"):
            self.pending.pop(frame["id"], None)

    async def pump(self) -> None:
        """Handle every frame already waiting."""
        while not await self.communicator.receive_nothing(0.01):
            for frame in await self.receive(1):
                self.handle(frame)

    async def pump_until(self, done: Any) -> None:
        for _ in range(200):
            if done():
                return
            for frame in await self.receive(5):
                self.handle(frame)
        raise AssertionError("did not converge")

    async def act(self, action: str, pick: int) -> None:
        ids = sorted(self.nodes)
        node = self.nodes[ids[pick % len(ids)]] if ids else None
        other = self.nodes[ids[(pick // 7) % len(ids)]] if ids else None
        self.counter += 1
        frame: dict[str, Any] = {"type": "op", "id": f"{self.name}-{self.counter}"}
        if action == "create" or node is None or other is None:
            frame |= {
                "op": "node.create",
                "text": f"n{pick}",
                "x": pick,
                "y": 0,
                "parent": node["id"] if node and pick % 2 else None,
            }
        elif action == "update":
            frame |= {
                "op": "node.update",
                "node": node["id"],
                "base_version": node["version"],
                "text": f"t{pick}",
            }
        elif action in ("move", "reparent"):
            frame |= {
                "op": "node.move",
                "node": node["id"],
                "base_version": node["version"],
                "x": pick,
                "y": pick,
                "index": pick % 3,
            }
            if action == "reparent":
                frame["parent"] = other["id"]
        elif action == "delete":
            frame |= {"op": "node.delete", "node": node["id"], "base_version": node["version"]}
        else:
            frame |= {"op": "edge.create", "source": node["id"], "target": other["id"]}
        self.pending[frame["id"]] = frame
        await self.send(frame)


def state_of(nodes: Any, edges: Any) -> tuple[Any, Any]:
    keys = ("parent", "text", "x", "y", "color", "collapsed", "order", "version")
    return (
        {node["id"]: tuple(node[key] for key in keys) for node in nodes},
        {edge["id"]: (edge["source"], edge["target"], edge["label"]) for edge in edges},
    )


async def scenario(users: dict[str, Any], mindmap_id: int, plan: list) -> None:
    # Hypothesis reseeds `random` for every example, so the in-memory layer hands out
    # the channel names of the previous example again: start from an empty layer, or a
    # socket that the last example left in the group shares a name with a new one.
    await get_channel_layer().flush()
    replicas = [Replica(users[name], mindmap_id, name) for name in ("alice", "bob", "alice")]
    for index, replica in enumerate(replicas):
        replica.name = f"{replica.name}{index}"
        await replica.connect(resync=False)
    try:
        for who, action, pick in plan:
            replica = replicas[who]
            if action == "drop":
                await replica.communicator.disconnect()
                for other in replicas:
                    if other is not replica:
                        await other.act("create", pick)
                        await other.pump_until(lambda o=other: not o.pending)
                await replica.connect(resync=True)
                continue
            await replica.pump()
            await replica.act(action, pick)
            await replica.pump_until(lambda r=replica: not r.pending)
        final = await Mindmap.objects.aget(pk=mindmap_id)
        nodes = [node.as_dict() async for node in Node.objects.filter(mindmap_id=mindmap_id)]
        edges = [edge.as_dict() async for edge in Edge.objects.filter(mindmap_id=mindmap_id)]
        logged = {op async for op in Op.objects.values_list("client_op_id", flat=True)}
        for replica in replicas:
            await replica.pump_until(lambda r=replica: r.seq == final.seq)
            assert replica.state() == state_of(nodes, edges)
            assert replica.acked <= logged
    finally:
        for replica in replicas:
            await asyncio.wait_for(replica.communicator.disconnect(), 5)


@pytest.mark.django_db(transaction=True)
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(plan=steps)
def test_clients_converge_on_the_database_state(users, mindmap, plan):
    """Every client ends with the database's state; every acknowledged op is logged."""
    Op.objects.all().delete()
    Edge.objects.all().delete()
    Node.objects.all().delete()
    Mindmap.objects.filter(pk=mindmap.pk).update(seq=0)
    async_to_sync(scenario)(users, mindmap.pk, plan)
