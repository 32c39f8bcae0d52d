"""Bad input and limits: an error frame each, nothing changed, still serving."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from channels.testing import WebsocketCommunicator
from django.test import override_settings

from moa_mindmap.consumers import MindmapConsumer, open_sockets
from moa_mindmap.models import Edge, Mindmap, Node, Op

from .communicators import ORIGIN

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


def stuck_application(mindmap_id: int, stuck: asyncio.Event) -> Any:
    """The consumer behind a server whose sends hang once ``stuck`` is set.

    That is uvicorn's ``send`` while the client's TCP window stays full.
    """
    inner = MindmapConsumer.as_asgi()

    async def application(scope: Any, receive: Any, send: Any) -> None:
        async def send_or_hang(message: dict[str, Any]) -> None:
            if stuck.is_set():
                await asyncio.Event().wait()
            await send(message)

        scope["url_route"] = {"args": (), "kwargs": {"mindmap_id": mindmap_id}}
        await inner(scope, receive, send_or_hang)

    return application


@override_settings(MOA_MINDMAP_SEND_TIMEOUT_S=0.2)
async def test_a_send_held_back_drops_the_connection(users, mindmap):
    """A send the server holds MOA_MINDMAP_SEND_TIMEOUT_S: the connection ends (its
    close frame cannot be written either), leaving the mindmap and freeing its slot."""
    stuck = asyncio.Event()
    communicator = WebsocketCommunicator(
        stuck_application(mindmap.pk, stuck), "/ws/", headers=[(b"origin", ORIGIN)]
    )
    communicator.scope["user"] = users["alice"]
    assert (await communicator.connect(timeout=5))[0]
    await communicator.receive_from(5)  # the snapshot
    assert open_sockets[(users["alice"].pk, mindmap.pk)] == 1
    stuck.set()
    await communicator.send_to(text_data=json.dumps({"type": "ping"}))
    await asyncio.wait_for(communicator.future, 5)  # the application returned
    assert (users["alice"].pk, mindmap.pk) not in open_sockets


@override_settings(MOA_MINDMAP_MAX_OUTBOX_BYTES=2000)
async def test_output_piling_up_behind_a_held_send_drops_the_connection(join, users, mindmap):
    """Broadcasts queued behind a held send beyond MOA_MINDMAP_MAX_OUTBOX_BYTES end the
    connection at once; the other member's ops keep applying."""
    stuck = asyncio.Event()
    communicator = WebsocketCommunicator(
        stuck_application(mindmap.pk, stuck), "/ws/", headers=[(b"origin", ORIGIN)]
    )
    communicator.scope["user"] = users["bob"]
    assert (await communicator.connect(timeout=5))[0]
    await communicator.receive_from(5)
    alice = await join(users["alice"], mindmap.pk)
    await communicator.receive_from(5)  # alice's arrival
    stuck.set()
    for n in range(10):
        assert (await alice.reply("node.create", text=f"{n}" * 100))["type"] == "applied"
    await asyncio.wait_for(communicator.future, 5)
    assert (users["bob"].pk, mindmap.pk) not in open_sockets
    assert await Node.objects.acount() == 10


@override_settings(MOA_MINDMAP_MAX_FRAMES_PER_SECOND=5)
async def test_frames_over_the_rate_close_with_4429(join, users, mindmap):
    """Any frame type counts: the 6th ping within a second closes the socket."""
    alice = await join(users["alice"], mindmap.pk)
    for _ in range(8):
        await alice.send({"type": "ping"})
    outputs = [await alice.communicator.receive_output(2) for _ in range(6)]
    assert outputs[-1] == {"type": "websocket.close", "code": 4429}
    assert [json.loads(o["text"])["type"] for o in outputs[:-1]] == ["pong"] * 5


@override_settings(MOA_MINDMAP_MAX_CONNECTIONS_PER_USER=2)
async def test_sockets_per_user_per_mindmap_are_capped(join, users, mindmap):
    """A user's third socket on one mindmap is closed with 4429; others are not counted."""
    await join(users["alice"], mindmap.pk)
    await join(users["alice"], mindmap.pk)
    await join(users["bob"], mindmap.pk)
    third = await join(users["alice"], mindmap.pk, snapshot=False)
    assert await third.communicator.receive_output(2) == {"type": "websocket.close", "code": 4429}


@override_settings(MOA_MINDMAP_SYNC_INTERVAL_S=0.3)
async def test_syncs_merge_into_one_answer_from_the_smallest_since(join, users, mindmap):
    """Syncs sent while one waits merge: one answer, replaying from the smallest ``since``."""
    alice = await join(users["alice"], mindmap.pk)
    for n in range(3):
        assert (await alice.reply("node.create", text=f"n{n}"))["type"] == "applied"
    await alice.send({"type": "sync", "since": 3})
    assert (await alice.receive_type("replay"))["ops"] == []
    for since in (2, 0, 1):
        await alice.send({"type": "sync", "since": since})
    replay = await alice.receive_type("replay")
    assert (replay["since"], len(replay["ops"])) == (0, 3)
    assert await alice.nothing(0.5)
