"""Bad input and limits: an error frame each, nothing changed, still serving."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import override_settings

from moa_mindmap.models import Edge, Mindmap, Node, Op

pytestmark = pytest.mark.django_db(transaction=True)


async def still_serving(client: Any) -> None:
    await client.send({"type": "ping"})
    assert (await client.receive_type("pong"))["type"] == "pong"


async def database_state(mindmap_id: int) -> tuple[Any, ...]:
    mindmap = await Mindmap.objects.aget(pk=mindmap_id)
    nodes = [
        row
        async for row in Node.objects.order_by("pk").values_list(
            "pk", "text", "version", "parent_id", "x", "y"
        )
    ]
    edges = [row async for row in Edge.objects.order_by("pk").values_list("pk")]
    return mindmap.seq, nodes, edges, await Op.objects.acount()


@pytest.fixture
async def other_node(users: dict[str, Any]) -> Node:
    other = await Mindmap.objects.acreate(title="Secret", owner=users["eve"])
    return await Node.objects.acreate(mindmap=other, text="secret")


BAD_FRAMES = [
    ("{not json", "invalid_json"),
    ("[1, 2]", "invalid_frame"),
    ('"op"', "invalid_frame"),
    ("{}", "unknown_type"),
    ('{"type": "explode"}', "unknown_type"),
    ('{"type": "op", "op": "node.create"}', "invalid_frame"),
    ('{"type": "op", "id": "a b", "op": "node.create"}', "invalid_frame"),
    ('{"type": "op", "id": "x", "op": "node.rename"}', "unknown_op"),
    ('{"type": "op", "id": "x", "op": "node.create", "x": "1"}', "invalid_frame"),
    ('{"type": "op", "id": "x", "op": "node.create", "x": true}', "invalid_frame"),
    ('{"type": "op", "id": "x", "op": "node.create", "x": 1e300}', "invalid_frame"),
    ('{"type": "op", "id": "x", "op": "node.create", "x": NaN}', "invalid_frame"),
    ('{"type": "op", "id": "x", "op": "node.create", "text": 5}', "invalid_frame"),
    ('{"type": "op", "id": "x", "op": "node.create", "parent": -1}', "invalid_frame"),
    ('{"type": "op", "id": "x", "op": "node.create", "color": "red"}', "invalid_frame"),
    ('{"type": "op", "id": "x", "op": "node.create", "index": -2}', "invalid_frame"),
    (
        '{"type": "op", "id": "x", "op": "node.update", "node": 1, "base_version": 1}',
        "invalid_frame",
    ),
    ('{"type": "op", "id": "x", "op": "node.update", "node": 1, "text": "a"}', "invalid_frame"),
    (
        '{"type": "op", "id": "x", "op": "node.update", "node": 1, "base_version": 1, '
        '"collapsed": "yes"}',
        "invalid_frame",
    ),
    ('{"type": "op", "id": "x", "op": "node.move", "node": 1, "base_version": 1}', "invalid_frame"),
    ('{"type": "op", "id": "x", "op": "edge.create", "source": 1}', "invalid_frame"),
    ('{"type": "op", "id": "x", "op": "edge.delete", "edge": "1"}', "invalid_frame"),
    ('{"type": "sync", "since": -1}', "invalid_frame"),
    ('{"type": "sync"}', "invalid_frame"),
    ('{"type": "cursor", "x": 1}', "invalid_frame"),
]


@pytest.mark.parametrize(("text", "code"), BAD_FRAMES)
async def test_malformed_frames_get_an_error_frame(join, users, mindmap, text, code):
    """Malformed JSON, wrong types, unknown ops: an error each, nothing changed."""
    alice = await join(users["alice"], mindmap.pk)
    before = await database_state(mindmap.pk)
    await alice.send(text)
    error = await alice.receive_type("error")
    assert error["code"] == code
    assert error["message"]
    assert await database_state(mindmap.pk) == before
    await still_serving(alice)


async def test_binary_frames_are_refused(join, users, mindmap):
    """Binary frames get an error; the connection stays usable."""
    alice = await join(users["alice"], mindmap.pk)
    await alice.communicator.send_to(bytes_data=b"\x00\x01")
    assert (await alice.receive_type("error"))["code"] == "invalid_frame"
    await still_serving(alice)


async def test_ops_on_another_mindmaps_nodes_are_not_found(join, users, mindmap, other_node):
    """Node ids of another mindmap are unknown here: not_found, nothing changed."""
    alice = await join(users["alice"], mindmap.pk)
    mine = await alice.reply("node.create", text="mine")
    before = await database_state(mindmap.pk)
    attempts = [
        ("node.create", {"parent": other_node.pk}),
        ("node.update", {"node": other_node.pk, "base_version": 1, "text": "pwned"}),
        ("node.move", {"node": other_node.pk, "base_version": 1, "x": 0, "y": 0}),
        (
            "node.move",
            {
                "node": mine["nodes"][0]["id"],
                "base_version": 1,
                "x": 0,
                "y": 0,
                "parent": other_node.pk,
            },
        ),
        ("node.delete", {"node": other_node.pk, "base_version": 1}),
        ("edge.create", {"source": mine["nodes"][0]["id"], "target": other_node.pk}),
    ]
    for op, fields in attempts:
        error = await alice.reply(op, **fields)
        assert (error["type"], error["code"]) == ("error", "not_found"), op
    assert await database_state(mindmap.pk) == before
    assert (await Node.objects.aget(pk=other_node.pk)).text == "secret"
    await still_serving(alice)


@override_settings(MOA_MINDMAP_MAX_MESSAGE_BYTES=200)
async def test_huge_frames_are_refused(join, users, mindmap):
    """A frame over MOA_MINDMAP_MAX_MESSAGE_BYTES gets message_too_large."""
    alice = await join(users["alice"], mindmap.pk)
    await alice.op("node.create", text="x" * 300)
    error = await alice.receive_type("error")
    assert error["code"] == "message_too_large"
    assert await Node.objects.acount() == 0
    await still_serving(alice)


@override_settings(MOA_MINDMAP_MAX_TEXT_LENGTH=5)
async def test_long_text_is_refused(join, users, mindmap):
    """Text over MOA_MINDMAP_MAX_TEXT_LENGTH gets text_too_long, with the op id."""
    alice = await join(users["alice"], mindmap.pk)
    error = await alice.reply("node.create", text="toolong")
    assert error["code"] == "text_too_long"
    assert error["id"]
    assert (await alice.reply("node.create", text="short"))["type"] == "applied"
    assert await Node.objects.acount() == 1


@override_settings(MOA_MINDMAP_MAX_OPS_PER_SECOND=3)
async def test_ops_over_the_rate_are_refused(join, users, mindmap):
    """Ops beyond MOA_MINDMAP_MAX_OPS_PER_SECOND get rate_limited and are not applied."""
    alice = await join(users["alice"], mindmap.pk)
    for _ in range(5):
        await alice.op("node.create", text="fast")
    replies = [await alice.receive_type("applied", "error") for _ in range(5)]
    codes = [reply.get("code", "applied") for reply in replies]
    assert codes.count("rate_limited") >= 2
    assert await Node.objects.acount() == codes.count("applied")
    await still_serving(alice)


@override_settings(MOA_MINDMAP_MAX_NODES=2)
async def test_node_count_is_limited(join, users, mindmap):
    """A mindmap holds at most MOA_MINDMAP_MAX_NODES nodes."""
    alice = await join(users["alice"], mindmap.pk)
    for _ in range(2):
        assert (await alice.reply("node.create"))["type"] == "applied"
    error = await alice.reply("node.create")
    assert error["code"] == "too_many_nodes"
    assert await Node.objects.acount() == 2


async def test_error_frames_name_the_op(join, users, mindmap):
    """Error frames carry the client op id so the client can drop that op."""
    alice = await join(users["alice"], mindmap.pk)
    await alice.send(json.dumps({"type": "op", "id": "op-1", "op": "edge.delete", "edge": 9}))
    error = await alice.receive_type("error")
    assert (error["id"], error["code"]) == ("op-1", "not_found")
