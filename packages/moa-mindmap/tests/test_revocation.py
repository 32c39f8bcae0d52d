"""Revoking access closes the open sockets of the user who lost it, at once.

The first tests run uvicorn (one process, then two on Redis) and speak to it with
a real WebSocket client, as an attacker who keeps a socket open would.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import websockets.sync.client as ws_client
from websockets.exceptions import ConnectionClosed

from .live import Server, Session, migrate, redis_server_env, server_env, servers

# A close must arrive this fast; the heartbeat (20 s here) is not what closes it.
CLOSE_WITHIN_S = 1.0


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One uvicorn process on the in-memory channel layer, shared by the module."""
    tmp_path = tmp_path_factory.mktemp("revocation")
    env = server_env(tmp_path)
    migrate(env)
    with servers(env, log_dir=tmp_path) as (one,):
        yield one


def open_socket(server: Server, session: Session, mindmap_id: int) -> ws_client.ClientConnection:
    return ws_client.connect(
        server.url.replace("http", "ws") + f"/ws/mindmap/{mindmap_id}/",
        additional_headers={"Cookie": session.cookie_header(), "Origin": server.url},
        open_timeout=10,
    )


def unbatch(text: str | bytes) -> list[dict[str, Any]]:
    frame = json.loads(text)
    return frame["frames"] if frame["type"] == "batch" else [frame]  # type: ignore[no-any-return]


def receive(socket: ws_client.ClientConnection, wanted: str) -> dict[str, Any]:
    for _ in range(50):
        for frame in unbatch(socket.recv(timeout=10)):
            if frame["type"] == wanted:
                return frame
    raise AssertionError(f"no {wanted} frame")


def until_closed(
    socket: ws_client.ClientConnection, timeout_s: float
) -> tuple[list[dict[str, Any]], int | None]:
    """Return the frames received until the server closed the socket, and its code.

    The code is ``None`` when the socket is still open after ``timeout_s``.
    """
    frames: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout_s
    try:
        while (left := deadline - time.monotonic()) > 0:
            frames.extend(unbatch(socket.recv(timeout=left)))
    except ConnectionClosed as closed:
        return frames, closed.rcvd.code if closed.rcvd is not None else None
    except TimeoutError:
        pass
    return frames, None


def create_op(op_id: str, text: str) -> str:
    return json.dumps(
        {"type": "op", "op": "node.create", "id": op_id, "text": text, "x": 0, "y": 0}
    )


def revoke_while_open(
    owner_server: Server, member_server: Server, member: str, revoke: str
) -> dict[str, Any]:
    """Open an owner's and a member's socket, GET ``revoke``, then both send an op.

    ``revoke`` is formatted with ``mindmap`` (the id) and ``member``; it is sent
    through the owner's server. Return what the member's socket saw, its close
    code, how long the close took, and the nodes stored afterwards.
    """
    owner = Session(owner_server.url, f"owner-of-{member}")
    mindmap_id = owner.get_json("/make/Plans/")["id"]
    owner.get_json(f"/share/{mindmap_id}/{member}/")
    guest = Session(member_server.url, member)
    with (
        open_socket(owner_server, owner, mindmap_id) as mine,
        open_socket(member_server, guest, mindmap_id) as theirs,
    ):
        receive(mine, "snapshot")
        receive(theirs, "snapshot")
        assert receive(mine, "presence")["user"]["name"] == member
        owner.get_json(revoke.format(mindmap=mindmap_id, member=member))
        revoked_at = time.monotonic()
        # What an attacker sends the moment their access is gone (the close may
        # already be there), and an edit they must no longer see.
        with contextlib.suppress(ConnectionClosed):
            theirs.send(create_op("theirs-1", "after revocation"))
        mine.send(create_op("mine-1", "owner's"))
        frames, code = until_closed(theirs, timeout_s=CLOSE_WITHIN_S + 1)
        closed_after_s = time.monotonic() - revoked_at
        assert receive(mine, "applied")["id"] == "mine-1"
    return {
        "frames": frames,
        "code": code,
        "closed_after_s": closed_after_s,
        "texts": owner.get_json(f"/nodes/{mindmap_id}/")["texts"],
    }


def assert_revoked(seen: dict[str, Any], code: int) -> None:
    assert seen["code"] == code
    assert seen["closed_after_s"] < CLOSE_WITHIN_S
    assert [frame for frame in seen["frames"] if frame["type"] == "applied"] == []
    assert seen["texts"] == ["owner's"]


def assert_clean_log(server: Server) -> None:
    log = server.log_text()
    assert "Traceback" not in log
    assert "never retrieved" not in log


def test_soft_deleted_user_is_closed_with_4401(server):
    """Soft-deleting a user (``deleted_at`` set) closes their open socket with 4401
    within a second; the op they send next is not applied, and they receive no
    later edit."""
    seen = revoke_while_open(server, server, "sam", "/soft-delete/{member}/")
    assert_revoked(seen, 4401)
    assert_clean_log(server)


def test_deactivated_user_is_closed_with_4401(server):
    """Deactivating a user (``is_active = False``) closes their open socket with 4401
    within a second; their next op is not applied, and they see no later edit."""
    seen = revoke_while_open(server, server, "dan", "/deactivate/{member}/")
    assert_revoked(seen, 4401)
    assert_clean_log(server)


def test_removed_member_is_closed_with_4403(server):
    """Removing a member from a mindmap closes their socket with 4403 within a
    second; the owner's socket stays open and their edit is applied."""
    seen = revoke_while_open(server, server, "rem", "/unshare/{mindmap}/{member}/")
    assert_revoked(seen, 4403)
    assert_clean_log(server)


def test_revocation_reaches_another_process_through_redis(tmp_path: Path):
    """Deactivating a user through server A closes their socket on server B (one
    Redis) with 4401 within a second; their op through B is not applied."""
    env = redis_server_env(tmp_path)
    migrate(env)
    with servers(env, count=2, log_dir=tmp_path) as (a, b):
        seen = revoke_while_open(a, b, "remote", "/deactivate/{member}/")
    assert_revoked(seen, 4401)
    assert_clean_log(a)
    assert_clean_log(b)
