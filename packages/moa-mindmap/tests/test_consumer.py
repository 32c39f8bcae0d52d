from __future__ import annotations

from typing import Any

import pytest
from django.test import override_settings

from moa_mindmap.models import Edge, Mindmap, Node, Op

from .communicators import make_communicator

pytestmark = pytest.mark.django_db(transaction=True)


async def create(client: Any, **fields: Any) -> dict[str, Any]:
    fields.setdefault("text", "idea")
    frame = await client.reply("node.create", **fields)
    assert frame["type"] == "applied", frame
    return frame["nodes"][0]  # type: ignore[no-any-return]


async def test_snapshot_on_join(join, users, mindmap):
    """A client that joins gets every node and edge, the seq and who is present."""
    root = await Node.objects.acreate(mindmap=mindmap, text="root")
    child = await Node.objects.acreate(mindmap=mindmap, text="child", parent=root)
    await Edge.objects.acreate(mindmap=mindmap, source=root, target=child, label="x")
    await Mindmap.objects.filter(pk=mindmap.pk).aupdate(seq=7)
    alice = await join(users["alice"], mindmap.pk)
    snapshot = alice.snapshot
    assert snapshot["protocol"] == 1
    assert snapshot["seq"] == 7
    assert snapshot["mindmap"] == {"id": mindmap.pk, "title": "Plans"}
    assert {node["text"] for node in snapshot["nodes"]} == {"root", "child"}
    assert snapshot["edges"] == [
        {"id": snapshot["edges"][0]["id"], "source": root.pk, "target": child.pk, "label": "x"}
    ]
    assert snapshot["present"][0]["user"] == {"id": users["alice"].pk, "name": "alice"}
    assert snapshot["you"]["session"] == snapshot["present"][0]["session"]


async def test_applied_reaches_everyone_including_sender(join, users, mindmap):
    """An applied op is numbered and broadcast to every client, the sender too."""
    alice = await join(users["alice"], mindmap.pk)
    bob = await join(users["bob"], mindmap.pk)
    op_id = await alice.op("node.create", text="hello", x=10, y=20, color="#FFE08A")
    mine = await alice.receive_type("applied")
    theirs = await bob.receive_type("applied")
    assert mine == theirs
    assert mine["seq"] == 1
    assert mine["id"] == op_id
    assert mine["by"] == users["alice"].pk
    node = mine["nodes"][0]
    assert (node["text"], node["x"], node["y"], node["color"], node["version"]) == (
        "hello",
        10.0,
        20.0,
        "#ffe08a",
        1,
    )
    assert await Node.objects.filter(mindmap=mindmap, text="hello").aexists()
    assert (await Mindmap.objects.aget(pk=mindmap.pk)).seq == 1
    assert await Op.objects.filter(mindmap=mindmap, seq=1, client_op_id=op_id).aexists()


async def test_update_with_current_version_applies(join, users, mindmap):
    """node.update changes text, colour and collapsed and bumps the version."""
    alice = await join(users["alice"], mindmap.pk)
    node = await create(alice)
    frame = await alice.reply(
        "node.update",
        node=node["id"],
        base_version=1,
        text="new",
        color="#b8f2c7",
        collapsed=True,
    )
    assert frame["type"] == "applied"
    assert frame["nodes"][0]["text"] == "new"
    assert frame["nodes"][0]["collapsed"] is True
    assert frame["nodes"][0]["version"] == 2
    stored = await Node.objects.aget(pk=node["id"])
    assert (stored.text, stored.color, stored.collapsed, stored.version) == (
        "new",
        "#b8f2c7",
        True,
        2,
    )


async def test_stale_base_version_is_rejected_with_current_node(join, users, mindmap):
    """Two edits from the same version: the second is rejected, not lost silently."""
    alice = await join(users["alice"], mindmap.pk)
    bob = await join(users["bob"], mindmap.pk)
    node = await create(alice)
    await bob.receive_type("applied")
    first = await alice.reply("node.update", node=node["id"], base_version=1, text="A")
    assert first["type"] == "applied"
    second = await bob.reply("node.update", node=node["id"], base_version=1, text="B")
    assert second["type"] == "rejected"
    assert second["reason"] == "stale"
    assert second["node"]["text"] == "A"
    assert second["node"]["version"] == 2
    stored = await Node.objects.aget(pk=node["id"])
    assert stored.text == "A"
    assert (await Mindmap.objects.aget(pk=mindmap.pk)).seq == 2


async def test_resent_op_id_is_acknowledged_without_applying_twice(join, users, mindmap):
    """A resend after a lost ack gets the same applied frame; nothing is applied twice."""
    alice = await join(users["alice"], mindmap.pk)
    first = await alice.reply("node.create", op_id=None, text="once")
    await alice.send({"type": "op", "op": "node.create", "id": first["id"], "text": "once"})
    again = await alice.receive_type("applied")
    assert again == first
    assert await Node.objects.filter(mindmap=mindmap).acount() == 1
    assert await Op.objects.filter(mindmap=mindmap).acount() == 1
    assert (await Mindmap.objects.aget(pk=mindmap.pk)).seq == 1


async def test_op_id_of_another_user_is_refused(join, users, mindmap):
    """Reusing someone else's op id is an error, not their acknowledgement."""
    alice = await join(users["alice"], mindmap.pk)
    bob = await join(users["bob"], mindmap.pk)
    first = await alice.reply("node.create", text="a")
    await bob.receive_type("applied")
    await bob.send({"type": "op", "op": "node.create", "id": first["id"], "text": "b"})
    error = await bob.receive_type("error")
    assert error["code"] == "duplicate_op_id"
    assert await Node.objects.filter(mindmap=mindmap).acount() == 1


async def test_move_reparents_and_reorders(join, users, mindmap):
    """node.move sets x, y, a new parent and a position among the new siblings."""
    alice = await join(users["alice"], mindmap.pk)
    root = await create(alice, text="root")
    first = await create(alice, text="first", parent=root["id"])
    second = await create(alice, text="second", parent=root["id"])
    loose = await create(alice, text="loose")
    assert first["order"] < second["order"]
    moved = await alice.reply(
        "node.move",
        node=loose["id"],
        base_version=1,
        x=5,
        y=6,
        parent=root["id"],
        index=1,
    )
    assert moved["type"] == "applied"
    node = moved["nodes"][0]
    assert (node["parent"], node["x"], node["y"], node["version"]) == (root["id"], 5, 6, 2)
    assert first["order"] < node["order"] < second["order"]
    to_front = await alice.reply("node.move", node=second["id"], base_version=1, x=0, y=0, index=0)
    assert to_front["nodes"][0]["order"] < first["order"]
    children = [
        text
        async for text in Node.objects.filter(parent_id=root["id"])
        .order_by("order")
        .values_list("text", flat=True)
    ]
    assert children == ["second", "first", "loose"]
    detached = await alice.reply(
        "node.move", node=first["id"], base_version=1, x=0, y=0, parent=None
    )
    assert detached["nodes"][0]["parent"] is None


async def test_move_that_makes_a_cycle_is_refused(join, users, mindmap):
    """Moving a node under its own descendant is refused and changes nothing."""
    alice = await join(users["alice"], mindmap.pk)
    root = await create(alice, text="root")
    child = await create(alice, parent=root["id"])
    grandchild = await create(alice, parent=child["id"])
    for target in (grandchild["id"], root["id"]):
        error = await alice.reply(
            "node.move", node=root["id"], base_version=1, x=0, y=0, parent=target
        )
        assert error["type"] == "error"
        assert error["code"] == "cycle"
    stored = await Node.objects.aget(pk=root["id"])
    assert (stored.parent_id, stored.version) == (None, 1)
    assert (await Mindmap.objects.aget(pk=mindmap.pk)).seq == 3


async def test_delete_reparents_children_and_removes_edges(join, users, mindmap):
    """Deleting a node moves its children to its parent and removes its edges."""
    alice = await join(users["alice"], mindmap.pk)
    root = await create(alice, text="root")
    middle = await create(alice, parent=root["id"])
    leaf = await create(alice, parent=middle["id"])
    other = await create(alice)
    edge = await alice.reply("edge.create", source=middle["id"], target=other["id"])
    kept = await alice.reply("edge.create", source=leaf["id"], target=other["id"])
    frame = await alice.reply("node.delete", node=middle["id"], base_version=1)
    assert frame["type"] == "applied"
    assert frame["deleted_nodes"] == [middle["id"]]
    assert frame["deleted_edges"] == [edge["edges"][0]["id"]]
    assert frame["nodes"] == [{**leaf, "parent": root["id"], "version": 2}]
    assert not await Node.objects.filter(pk=middle["id"]).aexists()
    assert await Edge.objects.filter(pk=kept["edges"][0]["id"]).aexists()
    assert (await Node.objects.aget(pk=leaf["id"])).parent_id == root["id"]


async def test_edges_create_and_delete(join, users, mindmap):
    """Edges connect two nodes once; loops and duplicates are refused."""
    alice = await join(users["alice"], mindmap.pk)
    a = await create(alice)
    b = await create(alice)
    created = await alice.reply("edge.create", source=a["id"], target=b["id"], label="why")
    assert created["edges"][0]["label"] == "why"
    duplicate = await alice.reply("edge.create", source=a["id"], target=b["id"])
    assert duplicate["code"] == "duplicate_edge"
    loop = await alice.reply("edge.create", source=a["id"], target=a["id"])
    assert loop["code"] == "invalid_op"
    edge_id = created["edges"][0]["id"]
    deleted = await alice.reply("edge.delete", edge=edge_id)
    assert deleted["deleted_edges"] == [edge_id]
    missing = await alice.reply("edge.delete", edge=edge_id)
    assert missing["code"] == "not_found"
    assert await Edge.objects.acount() == 0


async def test_sync_replays_missed_ops(join, users, mindmap):
    """sync {since} sends exactly the ops applied after ``since``, in order."""
    alice = await join(users["alice"], mindmap.pk)
    for _ in range(3):
        await create(alice)
    await alice.send({"type": "sync", "since": 1})
    replay = await alice.receive_type("replay")
    assert replay["since"] == 1
    assert replay["seq"] == 3
    assert [op["seq"] for op in replay["ops"]] == [2, 3]
    await alice.send({"type": "sync", "since": 3})
    assert (await alice.receive_type("replay"))["ops"] == []


@override_settings(MOA_MINDMAP_OP_LOG_RETENTION=2)
async def test_sync_beyond_the_log_sends_a_snapshot(join, users, mindmap):
    """When the missed ops were pruned, sync answers with a fresh snapshot."""
    from moa_mindmap.operations import aprune_op_log

    alice = await join(users["alice"], mindmap.pk)
    for _ in range(4):
        await create(alice)
    assert await aprune_op_log(mindmap.pk, 4) == 2
    await alice.send({"type": "sync", "since": 1})
    snapshot = await alice.receive_type("snapshot", "replay")
    assert snapshot["type"] == "snapshot"
    assert snapshot["seq"] == 4
    assert len(snapshot["nodes"]) == 4
    await alice.send({"type": "sync", "since": 2})
    assert (await alice.receive_type("snapshot", "replay"))["type"] == "replay"
    await alice.send({"type": "sync", "since": 99})
    assert (await alice.receive_type("snapshot", "replay"))["type"] == "snapshot"


async def test_presence_join_here_and_leave(join, users, mindmap):
    """Clients learn who joins, who was already there, and who leaves."""
    alice = await join(users["alice"], mindmap.pk)
    bob = await join(users["bob"], mindmap.pk)
    joined = await alice.receive_type("presence")
    assert (joined["event"], joined["user"]["name"]) == ("join", "bob")
    here = await bob.receive_type("presence")
    assert (here["event"], here["user"]["name"]) == ("here", "alice")
    await bob.close()
    left = await alice.receive_type("presence")
    assert (left["event"], left["session"]) == ("leave", joined["session"])


async def test_cursors_are_relayed_throttled_and_never_stored(join, users, mindmap):
    """A burst of cursor moves reaches peers as few frames ending at the last one."""
    alice = await join(users["alice"], mindmap.pk)
    bob = await join(users["bob"], mindmap.pk)
    await alice.receive_type("presence")
    for step in range(20):
        await alice.send({"type": "cursor", "x": step, "y": step * 2})
    seen = []
    for _ in range(20):
        frame = await bob.receive_type("cursor")
        seen.append(frame)
        if frame["x"] == 19:
            break
    assert seen[-1]["x"] == 19
    assert seen[-1]["y"] == 38
    assert seen[-1]["user"]["name"] == "alice"
    assert len(seen) < 20
    assert await Op.objects.acount() == 0
    assert await alice.nothing()


@pytest.mark.parametrize(
    ("user", "mindmap_id", "origin", "code"),
    [
        (None, "map", b"http://testserver", 4401),
        ("eve", "map", b"http://testserver", 4403),
        ("alice", "missing", b"http://testserver", 4404),
        ("alice", "map", b"http://evil.example", 4403),
        ("alice", "map", None, 4403),
    ],
)
async def test_refused_connections_are_accepted_then_closed(
    users, mindmap, user, mindmap_id, origin, code
):
    """Refusals are accepted then closed with 4401/4403/4404 so clients stop retrying."""
    target = mindmap.pk if mindmap_id == "map" else mindmap.pk + 1000
    communicator = make_communicator(users.get(user), target, origin=origin)
    connected, _ = await communicator.connect(timeout=5)
    assert connected
    assert await communicator.receive_output(5) == {"type": "websocket.close", "code": code}
    await communicator.disconnect()


def viewers_cannot_edit(user: Any, mindmap: Any, action: str) -> bool:
    return action == "view" or user.username == "alice"


@override_settings(MOA_MINDMAP_PERMISSION="tests.test_consumer.viewers_cannot_edit")
async def test_permission_hook_decides_view_and_edit(join, users, mindmap):
    """A user the hook lets view but not edit gets a forbidden error per op."""
    eve = await join(users["eve"], mindmap.pk)
    error = await eve.reply("node.create", text="nope")
    assert (error["type"], error["code"]) == ("error", "forbidden")
    alice = await join(users["alice"], mindmap.pk)
    assert (await alice.reply("node.create", text="yes"))["type"] == "applied"
    assert await Node.objects.acount() == 1
