"""Group commit: ops applied together keep every guarantee of ops applied alone."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
from typing import Any

import pytest
from channels.layers import get_channel_layer
from django.db import IntegrityError, OperationalError, connection
from django.test import override_settings

from moa_mindmap import batching, operations, registry
from moa_mindmap.consumers import group_name
from moa_mindmap.exceptions import OpError, StaleVersion
from moa_mindmap.models import Mindmap, Node, Op
from moa_mindmap.protocol import ParsedOp
from moa_mindmap.registry import parse_op

pytestmark = pytest.mark.django_db(transaction=True)


def replace_create(monkeypatch: pytest.MonkeyPatch, handler: Any) -> None:
    """Apply ``node.create`` ops with ``handler`` for the rest of the test."""
    kind = dataclasses.replace(registry.OP_KINDS["node.create"], apply=handler)
    monkeypatch.setitem(registry.OP_KINDS, "node.create", kind)


def op(kind: str, op_id: str, **fields: Any) -> Any:
    return parse_op({"type": "op", "op": kind, "id": op_id, **fields})


def test_each_op_of_a_batch_is_checked_and_numbered_on_its_own(users, mindmap):
    """Refused ops take no number; the applied ones are numbered without gaps."""
    alice, bob, eve = users["alice"], users["bob"], users["eve"]
    node = Node.objects.create(mindmap=mindmap, text="root", version=3)
    results = operations.apply_ops(
        mindmap.pk,
        [
            (alice, op("node.create", "a1", text="one")),
            (eve, op("node.create", "e1", text="intruder")),
            (bob, op("node.update", "b1", node=node.pk, base_version=1, text="stale")),
            (bob, op("node.update", "b2", node=node.pk, base_version=3, text="fresh")),
            (eve, op("node.create", "a1", text="stolen id")),
            (alice, op("node.create", "a1", text="one")),
        ],
    )
    created, forbidden, stale, updated, stolen, resent = results
    assert isinstance(created, tuple)
    assert created[0]["seq"] == 1
    assert created[1] is True
    assert isinstance(forbidden, OpError)
    assert forbidden.code == "forbidden"
    assert isinstance(stale, StaleVersion)
    assert stale.node["version"] == 3
    assert isinstance(updated, tuple)
    assert updated[0]["seq"] == 2
    assert isinstance(stolen, OpError)
    assert stolen.code == "duplicate_op_id"
    assert resent == (created[0], False)
    mindmap.refresh_from_db()
    assert mindmap.seq == 2
    assert list(Op.objects.order_by("seq").values_list("seq", "client_op_id")) == [
        (1, "a1"),
        (2, "b2"),
    ]
    assert sorted(Node.objects.values_list("text", flat=True)) == ["fresh", "one"]


def test_a_database_error_in_one_op_rolls_back_only_that_op(users, mindmap, monkeypatch):
    """Each op runs in a savepoint: a failing op leaves nothing, the next one applies."""
    real_create = registry.OP_KINDS["node.create"].apply

    def create_then_fail(batch: Any, args: dict[str, Any]) -> Any:
        real_create(batch, args)
        if args["text"] == "boom":
            raise IntegrityError("simulated")
        return real_create(batch, {**args, "text": args["text"] + " twin"})

    replace_create(monkeypatch, create_then_fail)
    alice = users["alice"]
    first, failed, last = operations.apply_ops(
        mindmap.pk,
        [
            (alice, op("node.create", "x1", text="a")),
            (alice, op("node.create", "x2", text="boom")),
            (alice, op("node.create", "x3", text="b")),
        ],
    )
    assert isinstance(failed, OpError)
    assert failed.code == "conflict"
    assert isinstance(first, tuple)
    assert isinstance(last, tuple)
    assert (first[0]["seq"], last[0]["seq"]) == (1, 2)
    assert sorted(Node.objects.values_list("text", flat=True)) == ["a", "a twin", "b", "b twin"]
    assert Op.objects.count() == 2


def unchecked(kind: str, op_id: str, **args: Any) -> Any:
    """An op that skipped the parser (a validation gap, or a caller of ``apply_ops``)."""
    return ParsedOp(kind=kind, id=op_id, args=args)


def test_a_value_the_database_refuses_fails_only_its_own_op(users, mindmap, caplog):
    """On the real database: a value it cannot store refuses that op alone, not the batch.

    A lone surrogate cannot be encoded for SQLite or PostgreSQL; an 8-character
    colour overflows PostgreSQL's ``varchar(7)``. Neither is resent by a client
    (``invalid_frame``), and the other users' ops in the batch apply.
    """
    alice, bob = users["alice"], users["bob"]
    node = Node.objects.create(mindmap=mindmap, text="root")
    bad_text = {"parent": None, "text": "\ud800", "x": 0.0, "y": 0.0, "index": None}
    results = operations.apply_ops(
        mindmap.pk,
        [
            (alice, op("node.create", "v1", text="before")),
            (bob, unchecked("node.create", "bad-1", **bad_text)),
            (bob, unchecked("node.update", "bad-2", node=node.pk, base_version=1, text="\udfff")),
            (alice, op("node.create", "v2", text="after")),
        ],
    )
    before, bad_create, bad_update, after = results
    for refused in (bad_create, bad_update):
        assert isinstance(refused, OpError)
        assert refused.code == "invalid_frame"
    assert isinstance(before, tuple)
    assert isinstance(after, tuple)
    assert (before[0]["seq"], after[0]["seq"]) == (1, 2)
    assert sorted(Node.objects.values_list("text", flat=True)) == ["after", "before", "root"]
    assert list(Op.objects.order_by("seq").values_list("client_op_id", flat=True)) == ["v1", "v2"]
    assert Node.objects.get(pk=node.pk).version == 1
    assert [record.levelname for record in caplog.records if record.levelno > logging.INFO] == [
        "WARNING",
        "WARNING",
    ]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite does not check lengths")
def test_a_value_too_long_for_its_column_fails_only_its_own_op(users, mindmap):
    """PostgreSQL's ``varchar(7)`` refuses ``"#ffffff\\n"``; the batch goes on."""
    alice = users["alice"]
    bad_colour = {"parent": None, "text": "", "x": 0.0, "y": 0.0, "color": "#ffffff\n"}
    refused, applied = operations.apply_ops(
        mindmap.pk,
        [
            (alice, unchecked("node.create", "bad", index=None, **bad_colour)),
            (alice, op("node.create", "good", text="fine")),
        ],
    )
    assert isinstance(refused, OpError)
    assert refused.code == "invalid_frame"
    assert isinstance(applied, tuple)
    assert applied[0]["seq"] == 1
    assert list(Node.objects.values_list("text", "color")) == [("fine", "#ffffff")]


@pytest.mark.parametrize("error", [OperationalError("lock timeout"), RuntimeError("a bug")])
def test_an_op_that_fails_otherwise_is_unavailable_alone(users, mindmap, monkeypatch, error):
    """A transient database error or a bug in one op: that op may be resent, the rest apply."""
    real_create = registry.OP_KINDS["node.create"].apply

    def fail_once(batch: Any, args: dict[str, Any]) -> Any:
        real_create(batch, args)
        if args["text"] == "boom":
            raise error
        return real_create(batch, {**args, "text": args["text"] + " twin"})

    replace_create(monkeypatch, fail_once)
    alice = users["alice"]
    first, failed, last = operations.apply_ops(
        mindmap.pk,
        [
            (alice, op("node.create", "u1", text="a")),
            (alice, op("node.create", "u2", text="boom")),
            (alice, op("node.create", "u3", text="b")),
        ],
    )
    assert isinstance(failed, OpError)
    assert failed.code == "unavailable"
    assert isinstance(first, tuple)
    assert isinstance(last, tuple)
    assert (first[0]["seq"], last[0]["seq"]) == (1, 2)
    assert sorted(Node.objects.values_list("text", flat=True)) == ["a", "a twin", "b", "b twin"]


def test_a_broken_transaction_still_fails_the_whole_batch(users, mindmap, monkeypatch):
    """When an op's savepoint cannot be rolled back, no op of the batch claims to apply."""
    real_create = registry.OP_KINDS["node.create"].apply

    def lose_the_connection(batch: Any, args: dict[str, Any]) -> Any:
        if args["text"] == "boom":

            def fail(sid: str) -> None:
                raise OperationalError("connection lost")

            monkeypatch.setattr(connection, "savepoint_rollback", fail)
            raise OperationalError("connection lost")
        return real_create(batch, args)

    replace_create(monkeypatch, lose_the_connection)
    alice = users["alice"]
    with pytest.raises(OperationalError):
        operations.apply_ops(
            mindmap.pk,
            [
                (alice, op("node.create", "w1", text="first")),
                (alice, op("node.create", "w2", text="boom")),
                (alice, op("node.create", "w3", text="last")),
            ],
        )
    monkeypatch.undo()
    assert Node.objects.count() == 0
    assert Op.objects.count() == 0


@override_settings(MOA_MINDMAP_MAX_NODES=3)
def test_node_limit_counts_the_nodes_created_earlier_in_the_batch(users, mindmap):
    """The limit holds inside one transaction, and a delete frees a place again."""
    alice = users["alice"]
    Node.objects.create(mindmap=mindmap, text="existing")
    results = operations.apply_ops(
        mindmap.pk, [(alice, op("node.create", f"n{i}", text=str(i))) for i in range(3)]
    )
    assert [isinstance(result, tuple) for result in results] == [True, True, False]
    assert isinstance(results[2], OpError)
    assert results[2].code == "too_many_nodes"
    victim = Node.objects.get(text="0")
    results = operations.apply_ops(
        mindmap.pk,
        [
            (alice, op("node.create", "m1", text="over")),
            (alice, op("node.delete", "m2", node=victim.pk, base_version=1)),
            (alice, op("node.create", "m3", text="fits")),
        ],
    )
    assert [isinstance(result, tuple) for result in results] == [False, True, True]
    assert Node.objects.count() == 3


def test_order_keys_follow_the_ops_of_the_same_batch(users, mindmap):
    """Appends, inserts and moves in one batch order siblings as if applied alone."""
    alice = users["alice"]
    operations.apply_ops(
        mindmap.pk,
        [
            (alice, op("node.create", "o1", text="A")),
            (alice, op("node.create", "o2", text="B")),
            (alice, op("node.create", "o3", text="first", index=0)),
            (alice, op("node.create", "o4", text="C")),
        ],
    )
    b = Node.objects.get(text="B")
    operations.apply_ops(
        mindmap.pk,
        [
            (alice, op("node.move", "o5", node=b.pk, base_version=1, x=0, y=0, index=0)),
            (alice, op("node.create", "o6", text="D")),
            (alice, op("node.create", "o7", text="second", index=1)),
        ],
    )
    texts = [node.text for node in sorted(Node.objects.all(), key=lambda n: (n.order, n.pk))]
    assert texts == ["B", "second", "first", "A", "C", "D"]


async def test_ops_that_arrive_together_share_one_transaction_and_broadcast(
    users, mindmap, monkeypatch
):
    """Ops queued while none is running go in one batch and one group message."""
    batches: list[int] = []
    for name in ("aapply_ops", "aapply_ops_concurrently"):
        real = getattr(operations, name)

        async def recording(mindmap_id: int, items: Any, real: Any = real) -> Any:
            batches.append(len(items))
            return await real(mindmap_id, items)

        monkeypatch.setattr(operations, name, recording)
    layer = get_channel_layer()
    listener = await layer.new_channel()
    await layer.group_add(group_name(mindmap.pk), listener)
    futures = [
        batching.submit_op(
            mindmap.pk,
            users["alice"],
            op("node.create", f"t{i}", text=str(i)),
            layer=layer,
            alias="default",
            group=group_name(mindmap.pk),
        )
        for i in range(3)
    ]
    results = await asyncio.wait_for(asyncio.gather(*futures), 10)
    assert [frame["seq"] for frame, is_new in results if is_new] == [1, 2, 3]
    assert batches == [3]
    message = await asyncio.wait_for(layer.receive(listener), 5)
    assert [json.loads(text) for text in message["frames"]] == [frame for frame, _ in results]
    await layer.group_discard(group_name(mindmap.pk), listener)


async def test_a_failed_commit_answers_every_op_and_applies_none(join, users, mindmap, monkeypatch):
    """A database failure of the batch answers ``unavailable``; a resend applies."""

    async def broken(mindmap_id: int, items: Any) -> Any:
        raise OperationalError("database went away")

    real = operations.aapply_ops, operations.aapply_ops_concurrently
    monkeypatch.setattr(operations, "aapply_ops", broken)
    monkeypatch.setattr(operations, "aapply_ops_concurrently", broken)
    alice = await join(users["alice"], mindmap.pk)
    op_id = await alice.op("node.create", text="lost?")
    error = await alice.receive_type("error")
    assert (error["code"], error["id"]) == ("unavailable", op_id)
    assert await Op.objects.acount() == 0
    monkeypatch.setattr(operations, "aapply_ops", real[0])
    monkeypatch.setattr(operations, "aapply_ops_concurrently", real[1])
    await alice.op("node.create", op_id=op_id, text="lost?")
    applied = await alice.receive_type("applied")
    assert (applied["id"], applied["seq"]) == (op_id, 1)


async def test_an_op_sent_just_before_closing_is_applied(join, users, mindmap, monkeypatch):
    """The connection closes only once the ops it received were applied."""
    for name in ("aapply_ops", "aapply_ops_concurrently"):
        real = getattr(operations, name)

        async def slow(mindmap_id: int, items: Any, real: Any = real) -> Any:
            await asyncio.sleep(0.3)
            return await real(mindmap_id, items)

        monkeypatch.setattr(operations, name, slow)
    alice = await join(users["alice"], mindmap.pk)
    await alice.op("node.create", text="last words")
    await alice.close()
    assert await Node.objects.filter(text="last words").acount() == 1
    assert (await Mindmap.objects.aget(pk=mindmap.pk)).seq == 1


async def test_deliveries_do_not_queue_behind_the_database_thread(
    join, users, mindmap, monkeypatch
):
    """Frames and broadcasts skip Channels' per-message hop to the database thread."""
    hops: list[str] = []

    async def counting() -> None:
        hops.append("hop")

    monkeypatch.setattr("channels.consumer.aclose_old_connections", counting)
    alice = await join(users["alice"], mindmap.pk)
    bob = await join(users["bob"], mindmap.pk)
    await alice.receive_type("presence")
    hops.clear()
    await alice.op("node.create", text="quick")
    await alice.send({"type": "cursor", "x": 1, "y": 1})
    seen: dict[str, dict[str, Any]] = {}
    for _ in range(20):
        frame = await bob.receive_type("applied", "cursor")
        seen[frame["type"]] = frame
        if len(seen) == 2:
            break
    assert seen["applied"]["nodes"][0]["text"] == "quick"
    assert seen["cursor"]["x"] == 1
    assert (await alice.receive_type("applied"))["nodes"][0]["text"] == "quick"
    assert hops == []


def exploding_hook(user: Any, mindmap: Any, action: str) -> bool:
    if action == "edit":
        raise RuntimeError("a bug in the hook")
    return True


async def test_an_unexpected_error_answers_the_op_and_keeps_serving(join, users, mindmap):
    """A hook that raises gets the op an ``unavailable`` error, not a hung client."""
    alice = await join(users["alice"], mindmap.pk)
    with override_settings(MOA_MINDMAP_PERMISSION="tests.test_batching.exploding_hook"):
        op_id = await alice.op("node.create", text="never")
        error = await alice.receive_type("error")
    assert (error["code"], error["id"]) == ("unavailable", op_id)
    assert await Op.objects.acount() == 0
    await alice.send({"type": "ping"})
    assert (await alice.receive_type("pong"))["type"] == "pong"


async def test_a_broadcast_that_arrives_during_a_send_still_leaves(
    join, users, mindmap, monkeypatch
):
    """A frame queued while a send is in flight leaves after it, not at the next broadcast.

    A server that holds a send back (uvicorn, while the client's TCP window is
    full) must not strand what arrives meanwhile in the queue.
    """
    from moa_mindmap.consumers import MindmapConsumer

    alice = await join(users["alice"], mindmap.pk)
    bob = await join(users["bob"], mindmap.pk)
    await alice.receive_type("presence")
    in_flight = asyncio.Event()
    release = asyncio.Event()
    send = MindmapConsumer.send

    async def held_back(self: Any, text_data: Any = None, **kwargs: Any) -> None:
        # Only bob's broadcasts are held: his first one waits until released.
        held = self.scope["user"] == users["bob"] and '"applied"' in (text_data or "")
        if held and not in_flight.is_set():
            in_flight.set()
            await release.wait()
        await send(self, text_data, **kwargs)

    monkeypatch.setattr(MindmapConsumer, "send", held_back)
    await alice.op("node.create", text="first")
    await asyncio.wait_for(in_flight.wait(), 10)
    await alice.op("node.create", text="second")
    # Both broadcasts reached alice; the second reached bob's queue during the held send.
    texts = [(await alice.receive_type("applied"))["nodes"][0]["text"] for _ in range(2)]
    assert texts == ["first", "second"]
    release.set()
    texts = [(await bob.receive_type("applied"))["nodes"][0]["text"] for _ in range(2)]
    assert texts == ["first", "second"]
