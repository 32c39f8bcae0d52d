"""Every client is bounded: frames per second, syncs, unsent output, sockets.

Against a real uvicorn, with clients that flood and a client that never reads.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
import websockets.sync.client as ws_client
from websockets.exceptions import ConnectionClosed

from .live import RawSocket, Server, Session, migrated_env, servers, sqlite_run_only

# Well above what the client under test costs now (under 2 MiB on either server);
# before, daphne grew by 16 MiB in the test's 5 s, and by 87 MiB within 15 s.
RSS_GROWTH_BOUND_BYTES = 10 * 1024 * 1024


pytestmark = sqlite_run_only


def start(migrated: Path, tmp_path_factory: pytest.TempPathFactory, kind: str) -> Iterator[Server]:
    tmp_path = tmp_path_factory.mktemp(f"flood-{kind}")
    env = migrated_env(migrated, tmp_path, "tests.settings_flood")
    with servers(env, log_dir=tmp_path, kind=kind) as (one,):
        yield one


@pytest.fixture(scope="module")
def server(migrated_sqlite: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """uvicorn, the production server."""
    yield from start(migrated_sqlite, tmp_path_factory, "uvicorn")


@pytest.fixture(scope="module")
def daphne(migrated_sqlite: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """daphne, runserver's server: it buffers what a client does not read."""
    yield from start(migrated_sqlite, tmp_path_factory, "daphne")


def socket_url(server: Server, mindmap_id: int) -> str:
    return server.url.replace("http", "ws") + f"/ws/mindmap/{mindmap_id}/"


def headers(server: Server, session: Session) -> dict[str, str]:
    return {"Cookie": session.cookie_header(), "Origin": server.url}


def new_mindmap(server: Server, user: str, nodes: int = 0) -> tuple[Session, int]:
    session = Session(server.url, user)
    mindmap_id = session.get_json(f"/make/{user}/")["id"]
    if nodes:
        session.get_json(f"/fill/{mindmap_id}/{nodes}/")
    return session, mindmap_id


def frames_of(text: str | bytes) -> list[dict[str, Any]]:
    frame = json.loads(text)
    return frame["frames"] if frame["type"] == "batch" else [frame]  # type: ignore[no-any-return]


def read_until_closed(socket: ws_client.ClientConnection, timeout_s: float = 10) -> int | None:
    deadline = time.monotonic() + timeout_s
    try:
        while (left := deadline - time.monotonic()) > 0:
            socket.recv(timeout=left)
    except ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd is not None else None
    except TimeoutError:
        pass
    return None


FLOODS = {
    "ping": {"type": "ping"},
    "cursor": {"type": "cursor", "x": 1, "y": 2},
    "sync": {"type": "sync", "since": 0},
    "op": {"type": "op", "op": "edge.delete", "id": "flood", "edge": 1},
    "unknown": {"type": "explode"},
    "invalid json": "{nope",
}


@pytest.mark.parametrize("kind", FLOODS)
def test_a_flood_of_any_frame_type_is_closed_with_4429(server, kind):
    """300 frames at once, over MOA_MINDMAP_MAX_FRAMES_PER_SECOND (100): 4429."""
    session, mindmap_id = new_mindmap(server, f"flood-{kind.replace(' ', '-')}")
    frame = FLOODS[kind]
    text = frame if isinstance(frame, str) else json.dumps(frame)
    with ws_client.connect(
        socket_url(server, mindmap_id), additional_headers=headers(server, session)
    ) as socket:
        for _ in range(300):
            try:
                socket.send(text)
            except ConnectionClosed:
                break
        assert read_until_closed(socket) == 4429


def test_syncs_are_merged(server):
    """50 syncs with a huge ``since`` cost one snapshot, not 50 (and not one each)."""
    session, mindmap_id = new_mindmap(server, "syncer", nodes=50)
    with ws_client.connect(
        socket_url(server, mindmap_id), additional_headers=headers(server, session)
    ) as socket:
        frames_of(socket.recv(timeout=10))  # the join snapshot
        for _ in range(50):
            socket.send(json.dumps({"type": "sync", "since": 10**9}))
        snapshots = 0
        deadline = time.monotonic() + 1.5
        try:
            while (left := deadline - time.monotonic()) > 0:
                snapshots += sum(f["type"] == "snapshot" for f in frames_of(socket.recv(left)))
        except TimeoutError:
            pass
    # One at once; the 49 merged into one more, a sync interval (0.1 s here) later.
    assert 1 <= snapshots <= 2


def test_a_user_may_hold_ten_sockets_on_one_mindmap(server):
    """The 11th socket of one user on one mindmap (this process) is closed with 4429."""
    session, mindmap_id = new_mindmap(server, "tabs")

    def connect() -> ws_client.ClientConnection:
        return ws_client.connect(
            socket_url(server, mindmap_id), additional_headers=headers(server, session)
        )

    with ExitStack() as stack:
        opened = [stack.enter_context(connect()) for _ in range(10)]
        for socket in opened:
            assert frames_of(socket.recv(timeout=10))[0]["type"] == "snapshot"
        with connect() as eleventh:
            assert read_until_closed(eleventh) == 4429
        opened[0].close()
        time.sleep(0.5)  # its disconnect runs on the server
        with connect() as again:
            assert frames_of(again.recv(timeout=10))[0]["type"] == "snapshot"


def op_applied(socket: ws_client.ClientConnection, op_id: str, text: str) -> dict[str, Any]:
    """Send a ``node.create`` and return its ``applied`` frame."""
    socket.send(
        json.dumps({"type": "op", "op": "node.create", "id": op_id, "text": text, "x": 0, "y": 0})
    )
    for _ in range(200):
        for frame in frames_of(socket.recv(timeout=10)):
            if frame.get("id") == op_id:
                return frame
    raise AssertionError("no answer")


@pytest.mark.parametrize("kind", ["uvicorn", "daphne"])
def test_a_client_that_never_reads_costs_bounded_memory(request, kind):
    """1,000 syncs on a 1,000-node map from a client that never reads: the server's
    RSS stays within a bound, and another user's ops on another map keep applying.

    (uvicorn holds sends back while the client's window is full, so it stayed
    bounded before too; daphne buffers every snapshot it was asked for.)"""
    server = request.getfixturevalue("server" if kind == "uvicorn" else "daphne")
    attacker, big = new_mindmap(server, "mallory", nodes=1000)
    owner, other = new_mindmap(server, "olga")
    before = server.rss_bytes()
    raw = RawSocket(server.port, f"/ws/mindmap/{big}/", headers(server, attacker))
    assert raw.status == 101
    raw.sock.settimeout(1)  # the server stops reading it once it is closed
    for _ in range(1000):
        if not raw.send_text(json.dumps({"type": "sync", "since": 10**9})):
            break
    with ws_client.connect(
        socket_url(server, other), additional_headers=headers(server, owner)
    ) as socket:
        frames_of(socket.recv(timeout=10))
        for n in range(5):
            applied = op_applied(socket, f"olga-{n}", f"still working {n}")
            assert applied["type"] == "applied"
            assert applied["nodes"][0]["text"] == f"still working {n}"
            time.sleep(0.2)
        time.sleep(2.5)  # what the server still builds and buffers meanwhile
    growth = server.rss_bytes() - before
    raw.close()
    assert growth < RSS_GROWTH_BOUND_BYTES, f"{kind}: RSS grew by {growth / 2**20:.1f} MiB"


def test_a_reader_that_falls_behind_is_dropped(server):
    """A client that stays under every rate but never reads is dropped once a send
    is held back MOA_MINDMAP_SEND_TIMEOUT_S (1 s here): the others see it leave."""
    attacker, mindmap_id = new_mindmap(server, "slowpoke", nodes=1000)
    raw = RawSocket(server.port, f"/ws/mindmap/{mindmap_id}/", headers(server, attacker))
    assert raw.status == 101
    attacker.get_json(f"/share/{mindmap_id}/watcher/")
    watcher = Session(server.url, "watcher")
    with ws_client.connect(
        socket_url(server, mindmap_id), additional_headers=headers(server, watcher)
    ) as socket:
        left = False
        deadline = time.monotonic() + 30
        while not left and time.monotonic() < deadline:
            # Ten syncs a second: a snapshot of ~130 KiB each, never read.
            raw.send_text(json.dumps({"type": "sync", "since": 10**9}))
            try:
                for frame in frames_of(socket.recv(timeout=0.1)):
                    left = left or (frame["type"], frame.get("event")) == ("presence", "leave")
            except TimeoutError:
                pass
    raw.close()
    assert left
    assert "Traceback" not in server.log_text()
