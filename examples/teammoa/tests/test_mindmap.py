"""moa-mindmap: the pages, and the editor's WebSocket through the project's ASGI app."""

from __future__ import annotations

from typing import Any

import pytest
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client
from moa_queries import assert_constant_queries

from teammoa.asgi import application
from tests.factories import MindmapFactory, UserFactory

ORIGIN = (b"origin", b"http://testserver")
HOST = (b"host", b"testserver")


async def receive_frame(communicator: WebsocketCommunicator, kind: str) -> dict[str, Any]:
    """Return the next frame of type ``kind``, skipping others (presence, ticks)."""
    for _ in range(20):
        frame: dict[str, Any] = await communicator.receive_json_from(timeout=5)
        inners: list[dict[str, Any]] = frame["frames"] if frame["type"] == "batch" else [frame]
        for inner in inners:
            if inner["type"] == kind:
                return inner
    raise AssertionError(f"no {kind!r} frame among the next 20")


@pytest.fixture
def owner():
    return UserFactory.create()


@pytest.fixture
def mindmap(owner):
    return MindmapFactory.create(title="Plans", owner=owner)


@pytest.fixture
def session_cookie(owner) -> tuple[bytes, bytes]:
    """The cookie header of a browser where the owner is logged in."""
    client = Client()
    client.force_login(owner)
    value = client.cookies[settings.SESSION_COOKIE_NAME].value
    return (b"cookie", f"{settings.SESSION_COOKIE_NAME}={value}".encode())


@pytest.mark.django_db
def test_pages_need_a_login(client, mindmap):
    """Anonymous visitors are sent to the project's login page."""
    response = client.get("/mindmap/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/mindmap/"


@pytest.mark.django_db
def test_editor_page_points_at_the_websocket(client, owner, mindmap):
    """The editor page loads for the owner and names its WebSocket path."""
    client.force_login(owner)

    response = client.get(f"/mindmap/{mindmap.pk}/")

    assert response.status_code == 200
    assert f"/ws/mindmap/{mindmap.pk}/" in response.content.decode()


@pytest.mark.django_db
def test_mindmap_list_runs_a_constant_number_of_queries(client, owner):
    """Twenty mindmaps with members cost the list page no more queries than one."""
    members = UserFactory.create_batch(3)

    def make_mindmaps(count: int) -> None:
        MindmapFactory.create_batch(count, owner=owner, members=members)

    client.force_login(owner)
    counts = assert_constant_queries(make_mindmaps, lambda: client.get("/mindmap/"), sizes=(1, 20))

    assert counts[0] == counts[-1]


@pytest.mark.django_db(transaction=True)
async def test_the_owner_joins_and_edits_over_the_websocket(mindmap, session_cookie):
    """A logged-in owner gets the snapshot, and an op comes back applied."""
    communicator = WebsocketCommunicator(
        application, f"/ws/mindmap/{mindmap.pk}/", headers=[ORIGIN, HOST, session_cookie]
    )
    connected, _ = await communicator.connect(timeout=5)
    snapshot = await communicator.receive_json_from(timeout=5)
    create = {"type": "op", "op": "node.create", "id": "t-1", "parent": None, "text": "Launch"}
    await communicator.send_json_to({**create, "x": 0, "y": 0})
    applied = await receive_frame(communicator, "applied")
    await communicator.disconnect()

    assert connected
    assert snapshot["type"] == "snapshot"
    assert snapshot["mindmap"] == {"id": mindmap.pk, "title": "Plans"}
    assert applied["id"] == "t-1"
    assert applied["nodes"][0]["text"] == "Launch"


@pytest.mark.django_db(transaction=True)
async def test_an_anonymous_connection_is_closed_with_4401(mindmap):
    """Not logged in: accepted, then closed with a code clients do not retry."""
    communicator = WebsocketCommunicator(
        application, f"/ws/mindmap/{mindmap.pk}/", headers=[ORIGIN, HOST]
    )

    await communicator.connect(timeout=5)
    closed = await communicator.receive_output(timeout=5)

    assert closed == {"type": "websocket.close", "code": 4401}


@pytest.mark.django_db(transaction=True)
async def test_a_foreign_origin_is_closed_with_4403(mindmap, session_cookie):
    """A page on another site, with the user's cookie: accepted, then closed with 4403.

    The consumer's origin check is the only one, so the editor gets the documented
    code it does not retry instead of a refused handshake it would retry forever.
    """
    foreign = (b"origin", b"https://evil.example")
    communicator = WebsocketCommunicator(
        application, f"/ws/mindmap/{mindmap.pk}/", headers=[foreign, HOST, session_cookie]
    )

    connected, _ = await communicator.connect(timeout=5)
    closed = await communicator.receive_output(timeout=5)

    assert connected
    assert closed == {"type": "websocket.close", "code": 4403}
