"""The consumer re-checks the user and ``view`` on sync, on the heartbeat and when told."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth import get_user_model
from django.test import override_settings

from moa_mindmap.consumers import MindmapConsumer
from moa_mindmap.models import Mindmap, Node
from moa_mindmap.permissions import is_owner_or_member

from .communicators import ORIGIN

pytestmark = pytest.mark.django_db(transaction=True)

BANNED: set[str] = set()


def unless_banned(user: Any, mindmap: Mindmap, action: str) -> bool:
    """A project's own rule: the default hook, minus the names in ``BANNED``."""
    return user.get_username() not in BANNED and is_owner_or_member(user, mindmap, action)  # type: ignore[arg-type]


async def closed_with(client: Any, timeout: float = 2) -> int:
    """Return the close code, skipping the frames sent before it."""
    for _ in range(50):
        output = await client.communicator.receive_output(timeout)
        if output["type"] == "websocket.close":
            return int(output["code"])
    raise AssertionError("not closed")


async def test_sync_rechecks_the_user(join, users, mindmap):
    """A user deactivated behind the signals' back (a queryset update) is closed with
    4401 at their next ``sync`` instead of being replayed the map."""
    bob = await join(users["bob"], mindmap.pk)
    await get_user_model().objects.filter(pk=users["bob"].pk).aupdate(is_active=False)
    await bob.send({"type": "sync", "since": 0})
    output = await bob.communicator.receive_output(2)
    assert output == {"type": "websocket.close", "code": 4401}


async def test_sync_rechecks_view(join, users, mindmap):
    """A member removed without ``m2m_changed`` is closed with 4403 at their next sync."""
    bob = await join(users["bob"], mindmap.pk)
    await Mindmap.members.through.objects.filter(user_id=users["bob"].pk).adelete()
    await bob.send({"type": "sync", "since": 0})
    assert await bob.communicator.receive_output(2) == {"type": "websocket.close", "code": 4403}


async def test_heartbeat_rechecks_view(join, users, mindmap):
    """A missed revocation is caught by the next heartbeat: the socket is closed."""
    with override_settings(MOA_MINDMAP_HEARTBEAT_INTERVAL=0.2):
        bob = await join(users["bob"], mindmap.pk)
        await Mindmap.members.through.objects.filter(user_id=users["bob"].pk).adelete()
        assert await closed_with(bob) == 4403


async def test_heartbeat_keeps_a_permitted_socket_open(join, users, mindmap):
    """Heartbeats of a user who keeps access send ticks and close nothing."""
    with override_settings(MOA_MINDMAP_HEARTBEAT_INTERVAL=0.1):
        bob = await join(users["bob"], mindmap.pk)
        assert (await bob.receive_type("tick"))["seq"] == 0
        assert (await bob.receive_type("tick"))["seq"] == 0


async def test_hard_deleted_user_is_closed_with_4401(join, users, mindmap):
    """Deleting the user's row (``post_delete``) closes their socket with 4401."""
    bob = await join(users["bob"], mindmap.pk)
    await sync_to_async(users["bob"].hard_delete)()
    assert await closed_with(bob) == 4401


async def test_leaving_from_the_user_side_closes_with_4403(join, users, mindmap):
    """``user.mindmaps.remove(mindmap)`` (the reverse side) closes with 4403."""
    bob = await join(users["bob"], mindmap.pk)
    await sync_to_async(users["bob"].mindmaps.remove)(mindmap)
    assert await closed_with(bob) == 4403


async def test_clearing_members_closes_them_and_not_the_owner(join, users, mindmap):
    """``mindmap.members.clear()`` closes the members with 4403; the owner stays."""
    alice = await join(users["alice"], mindmap.pk)
    bob = await join(users["bob"], mindmap.pk)
    await sync_to_async(mindmap.members.clear)()
    assert await closed_with(bob) == 4403
    assert (await alice.reply("node.create", text="still here"))["type"] == "applied"


async def test_new_owner_closes_the_old_one(join, users, mindmap):
    """Saving a mindmap with another owner closes the previous owner's socket."""
    alice = await join(users["alice"], mindmap.pk)
    mindmap.owner = users["eve"]
    await mindmap.asave()
    assert await closed_with(alice) == 4403


async def test_deleted_mindmap_closes_with_4404(join, users, mindmap):
    """Deleting the mindmap closes every socket on it with 4404."""
    alice = await join(users["alice"], mindmap.pk)
    await mindmap.adelete()
    assert await closed_with(alice) == 4404


async def test_reactivating_closes_nothing(join, users, mindmap):
    """Saving a user who keeps access (say, reactivated) leaves the socket open."""
    bob = await join(users["bob"], mindmap.pk)
    users["bob"].first_name = "Bob"
    await users["bob"].asave()
    await users["bob"].asave(update_fields=["last_login"])
    assert await bob.nothing(0.3)
    assert (await bob.reply("node.create", text="ok"))["type"] == "applied"


@override_settings(MOA_MINDMAP_PERMISSION="tests.test_access.unless_banned")
async def test_aaccess_changed_applies_a_projects_own_rule(join, users, mindmap):
    """When the project's rule changes, ``aaccess_changed(user=...)`` closes with 4403."""
    from moa_mindmap import aaccess_changed

    bob = await join(users["bob"], mindmap.pk)
    alice = await join(users["alice"], mindmap.pk)
    BANNED.add("bob")
    try:
        await aaccess_changed(user=users["bob"])
        assert await closed_with(bob) == 4403
    finally:
        BANNED.clear()
    assert (await alice.reply("node.create", text="ok"))["type"] == "applied"


@override_settings(MOA_MINDMAP_PERMISSION="tests.test_access.unless_banned")
async def test_access_changed_for_a_mindmap(join, users, mindmap):
    """``access_changed(mindmap=...)`` re-checks everyone on the mindmap (sync twin)."""
    from moa_mindmap import access_changed

    bob = await join(users["bob"], mindmap.pk)
    alice = await join(users["alice"], mindmap.pk)
    BANNED.add("alice")
    try:
        await sync_to_async(access_changed)(mindmap=mindmap)
        assert await closed_with(alice) == 4403
    finally:
        BANNED.clear()
    assert (await bob.reply("node.create", text="ok"))["type"] == "applied"


async def test_op_of_a_deactivated_user_is_refused(join, users, mindmap):
    """An op is checked against the user as stored now, not as they connected."""
    bob = await join(users["bob"], mindmap.pk)
    await get_user_model().objects.filter(pk=users["bob"].pk).aupdate(is_active=False)
    frame = await bob.reply("node.create", text="too late")
    assert (frame["type"], frame["code"]) == ("error", "forbidden")
    assert not await Node.objects.aexists()


async def test_access_changed_with_the_layer_down_logs_a_warning(users, caplog):
    """A revocation that cannot reach Redis is logged, not raised into the caller
    (the heartbeat closes the socket later)."""
    from moa_mindmap import aaccess_changed, access_changed
    from moa_mindmap.layers import redis_channel_layer

    dead = {"default": redis_channel_layer("redis://127.0.0.1:1/0")}
    with override_settings(CHANNEL_LAYERS=dead):
        await aaccess_changed(user=users["bob"])
        await sync_to_async(access_changed)(user=users["bob"])
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 2
    assert warnings[0].startswith("Mindmap access change not sent: ")


async def test_access_changed_without_anything_sends_nothing():
    """``access_changed()`` with neither a user nor a mindmap is a no-op."""
    from moa_mindmap import aaccess_changed, access_changed

    await aaccess_changed()
    await sync_to_async(access_changed)()


async def test_heartbeat_ends_quietly_when_the_client_is_gone(users, mindmap):
    """A heartbeat whose send fails because the client left (uvicorn raises
    ``ClientDisconnected``, an ``OSError``) ends without an exception, so asyncio
    never logs "Task exception was never retrieved"."""
    opened: list[MindmapConsumer] = []

    class RecordingConsumer(MindmapConsumer):
        async def connect(self) -> None:
            opened.append(self)
            await super().connect()

    inner = RecordingConsumer.as_asgi()
    gone = False

    async def application(scope: Any, receive: Any, send: Any) -> None:
        async def send_unless_gone(message: dict[str, Any]) -> None:
            if gone and message["type"] == "websocket.send":
                raise OSError("client disconnected")
            await send(message)

        scope["url_route"] = {"args": (), "kwargs": {"mindmap_id": mindmap.pk}}
        await inner(scope, receive, send_unless_gone)

    communicator = WebsocketCommunicator(
        application, f"/ws/mindmap/{mindmap.pk}/", headers=[(b"origin", ORIGIN)]
    )
    communicator.scope["user"] = users["alice"]
    with override_settings(MOA_MINDMAP_HEARTBEAT_INTERVAL=0.05):
        connected, _ = await communicator.connect(timeout=5)
        assert connected
        await communicator.receive_from(5)  # the snapshot
        while opened[0]._heartbeat_task is None:  # created just after the snapshot
            await asyncio.sleep(0.01)
        heartbeat = opened[0]._heartbeat_task
        gone = True
        await asyncio.wait_for(asyncio.shield(heartbeat), 2)
        assert heartbeat.exception() is None
        await communicator.disconnect(timeout=5)


async def test_deactivating_by_save_closes_with_4401(join, users, mindmap):
    """Saving a user with ``is_active = False`` (``post_save``) closes with 4401."""
    bob = await join(users["bob"], mindmap.pk)
    users["bob"].is_active = False
    await users["bob"].asave(update_fields=["is_active"])
    assert await closed_with(bob) == 4401


async def test_frames_after_the_close_are_ignored(join, users, mindmap):
    """After the close, an op still delivered to the consumer is not applied, and
    neither heartbeats nor others' edits send it anything."""
    with override_settings(MOA_MINDMAP_HEARTBEAT_INTERVAL=0.1):
        alice = await join(users["alice"], mindmap.pk)
        bob = await join(users["bob"], mindmap.pk)
        await sync_to_async(users["bob"].delete)()  # the soft delete
        assert await closed_with(bob) == 4401
        await bob.op("node.create", text="after the close")
        assert (await alice.reply("node.create", text="alice's"))["type"] == "applied"
        assert await bob.communicator.receive_nothing(0.3)
    assert [node.text async for node in Node.objects.all()] == ["alice's"]


async def test_other_saves_of_an_inactive_user_send_nothing(join, users, mindmap):
    """A save whose ``update_fields`` name neither ``is_active`` nor ``deleted_at``
    (a login's ``last_login``) sends no re-check: ``sync`` still gets its replay."""
    bob = await join(users["bob"], mindmap.pk)
    users["bob"].is_active = False
    await users["bob"].asave(update_fields=["last_login"])
    assert await bob.nothing(0.2)
    await bob.send({"type": "sync", "since": 0})
    assert (await bob.receive())["type"] == "replay"


async def test_access_changed_without_a_channel_layer_does_nothing(users):
    """With no ``CHANNEL_LAYERS`` configured there is no socket to tell."""
    from moa_mindmap import aaccess_changed, access_changed

    with override_settings(CHANNEL_LAYERS={}):
        await aaccess_changed(user=users["bob"])
        await sync_to_async(access_changed)(user=users["bob"])


async def test_access_changed_raises_what_is_not_an_outage(users, monkeypatch):
    """A layer that fails for another reason (a bug) raises into the caller."""
    from moa_mindmap import aaccess_changed, access_changed, revocation

    class BrokenLayer:
        async def group_send(self, group: str, message: dict[str, Any]) -> None:
            raise ValueError("bug")

    monkeypatch.setattr(revocation, "get_channel_layer", lambda alias: BrokenLayer())
    with pytest.raises(ValueError, match="bug"):
        await aaccess_changed(user=users["bob"])
    with pytest.raises(ValueError, match="bug"):
        await sync_to_async(access_changed)(user=users["bob"])
