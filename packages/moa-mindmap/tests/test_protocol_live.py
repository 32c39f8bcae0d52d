"""The running consumer and editor under malformed frames: uvicorn on this run's database.

The server runs on the database the suite runs on (SQLite in one pass, PostgreSQL
in the other), as an attacker meets it. Every malformed frame must be answered
with its error frame; nothing may be applied, nothing logged above INFO, and the
same connection must then apply a valid op. The editor, in Chromium, must drop
an op refused as invalid instead of resending it.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pytest
import websockets.sync.client as ws_client
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from websockets.exceptions import ConnectionClosed

from moa_testsupport.browser import chromium, person, screenshot
from moa_testsupport.databases import database_vendor

from .live import Server, Session, migrate, server_env
from .test_protocol import broken_frames, ids, op_fields, versions

# Below the server's frame rate limit, so the fuzzing never trips it.
FRAMES_PER_SECOND = 40
# The editor resends a rate-limited or unavailable op 1 s after the error.
RESEND_WINDOW_MS = 1500


def unbatch(text: str | bytes) -> list[dict[str, Any]]:
    frame = json.loads(text)
    return frame["frames"] if frame["type"] == "batch" else [frame]  # type: ignore[no-any-return]


@dataclass
class Client:
    """A paced protocol client over a real WebSocket."""

    socket: ws_client.ClientConnection
    sent_at: float = 0.0
    frames: list[dict[str, Any]] = field(default_factory=list)

    def send(self, text: str) -> None:
        wait = self.sent_at + 1 / FRAMES_PER_SECOND - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        self.sent_at = time.monotonic()
        self.socket.send(text)

    def receive(self, *types: str, others_apply: bool = False) -> dict[str, Any]:
        """Return the next frame of one of ``types``, skipping others (bounded).

        An ``applied`` frame fails the test unless wanted, or ``others_apply``.
        """
        for _ in range(200):
            if not self.frames:
                self.frames.extend(unbatch(self.socket.recv(timeout=10)))
            frame = self.frames.pop(0)
            if frame["type"] in types:
                return frame
            assert others_apply or frame["type"] != "applied", f"{frame} before {types}"
        raise AssertionError(f"no {types} frame among 200")

    def reply(self, frame: dict[str, Any]) -> dict[str, Any]:
        """Send a frame; return the ``applied`` or ``error`` frame with its id."""
        self.send(json.dumps(frame))
        for _ in range(50):
            answer = self.receive("applied", "error", "rejected")
            if answer.get("id") == frame["id"]:
                return answer
        raise AssertionError(f"no answer to {frame['id']}")


@dataclass
class Live:
    server: Server
    owner: Session
    mindmap_id: int
    node_ids: list[int]
    edge_id: int
    # Every socket opened is closed when the module's server stops.
    sockets: contextlib.ExitStack = field(default_factory=contextlib.ExitStack)

    def socket(self, session: Session | None = None) -> ws_client.ClientConnection:
        """Return a new connection as ``session`` (the owner by default)."""
        session = session or self.owner
        return ws_client.connect(
            self.server.url.replace("http", "ws") + f"/ws/mindmap/{self.mindmap_id}/",
            additional_headers={"Cookie": session.cookie_header(), "Origin": self.server.url},
            open_timeout=10,
            # No keepalive pings: the client's thread draws their payload from the
            # global random module, which Hypothesis refuses to see change while it
            # draws an example (a flaky failure on a slow machine).
            ping_interval=None,
        )

    def connect(self, session: Session | None = None) -> tuple[Client, dict[str, Any]]:
        """Open a socket kept until the end; return it and its snapshot."""
        client = Client(self.sockets.enter_context(self.socket(session)))
        return client, client.receive("snapshot")

    def state(self) -> tuple[Any, ...]:
        """What is stored now, as a new connection's snapshot shows it."""
        with self.socket() as socket:
            snapshot = Client(socket).receive("snapshot")
        return snapshot["seq"], snapshot["nodes"], snapshot["edges"]

    def log_above_info(self) -> list[str]:
        lines = self.server.log_text().splitlines()
        return [line for line in lines if line.strip() and not line.startswith(("INFO:", "DEBUG"))]


def postgresql_database(tmp_path: Path) -> Iterator[str]:
    """Create an empty database beside this run's, for the server; drop it after."""
    url = os.environ["MOA_TEST_DB"]
    name = f"moa_mindmap_fuzz_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """uvicorn on this run's database, with a mindmap of two nodes and an edge."""
    tmp_path = tmp_path_factory.mktemp("fuzz")
    databases: Iterator[str] | None = None
    if database_vendor() == "postgresql":
        databases = postgresql_database(tmp_path)
        env = server_env(tmp_path, database_url=next(databases))
    else:
        assert database_vendor() == "sqlite"
        env = server_env(tmp_path)
    try:
        migrate(env)
        server = Server(env, log=tmp_path / "server.log")
        server.start()
        try:
            owner = Session(server.url, "alice")
            mindmap_id = owner.get_json("/make/Fuzzed/")["id"]
            owner.get_json(f"/share/{mindmap_id}/bob/")
            live = Live(server, owner, mindmap_id, [], 0)
            setup = live.sockets.enter_context(live.socket())
            client = Client(setup)
            client.receive("snapshot")
            root = client.reply({"type": "op", "op": "node.create", "id": "setup-1", "text": "A"})
            parent = root["nodes"][0]["id"]
            child = client.reply(
                {"type": "op", "op": "node.create", "id": "setup-2", "text": "B", "parent": parent}
            )
            live.node_ids = [parent, child["nodes"][0]["id"]]
            edge = client.reply(
                {"type": "op", "op": "edge.create", "id": "setup-3", "source": parent}
                | {"target": live.node_ids[1]}
            )
            live.edge_id = edge["edges"][0]["id"]
            with live.sockets:
                yield live
        finally:
            server.stop()
    finally:
        if databases is not None:
            databases.close()


@pytest.fixture(scope="module")
def before(live: Live) -> tuple[Any, ...]:
    """The stored state before any fuzzing."""
    return live.state()


def about_the_map(live: Live) -> st.SearchStrategy[tuple[str, str]]:
    """Broken frames that name the map's real nodes, edge and versions half the time.

    Accepted by mistake, such a frame would change the map, not only be refused
    for a missing node.
    """
    return broken_frames(
        op_fields(
            node_ids=st.sampled_from(live.node_ids) | ids,
            edge_ids=st.just(live.edge_id) | ids,
            node_versions=st.just(1) | versions,
        )
    )


def test_every_malformed_frame_is_an_error_frame_and_changes_nothing(live, before):
    """Hypothesis' broken frames against uvicorn: each gets its exact error code."""
    client = [live.connect()[0]]

    @settings(
        max_examples=120,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(case=about_the_map(live))
    def fuzz(case: tuple[str, str]) -> None:
        text, code = case
        assume(code != "ok")  # A valid op (an unknown field is ignored) would apply.
        try:
            client[0].send(text)
            error = client[0].receive("error")
        except ConnectionClosed as closed:
            client[0] = live.connect()[0]  # For the next example (and the shrinking).
            raise AssertionError(f"the server closed the connection ({closed})") from None
        assert error["code"] == code
        assert error["message"]

    fuzz()
    assert live.log_above_info() == []
    assert live.state() == before
    # The same connection still applies a valid op.
    applied = client[0].reply({"type": "op", "op": "node.create", "id": "after-fuzz", "text": "ok"})
    assert applied["type"] == "applied"
    assert applied["seq"] == before[0] + 1


def test_one_clients_bad_ops_never_fail_anothers(live):
    """Bad ops sent beside another user's good ones: the good ones all apply."""
    bob_session = Session(live.server.url, "bob")
    alice, _ = live.connect()
    bob, _ = live.connect(bob_session)
    node = live.node_ids[0]
    bad = [
        {"type": "op", "op": "node.create", "id": "bad-1", "text": "\ud800"},
        {"type": "op", "op": "node.update", "id": "bad-2", "node": node, "base_version": 1}
        | {"color": "#ffffff\n"},
        {"type": "op", "op": "node.create", "id": "bad-3\n", "text": "newline id"},
    ]
    good = [
        {"type": "op", "op": "node.create", "id": f"bob-{n}", "text": f"b{n}"} for n in range(3)
    ]
    for bad_op, good_op in zip(bad, good, strict=True):
        alice.send(json.dumps(bad_op))
        bob.send(json.dumps(good_op))
    answers: dict[str, str] = {}
    while len(answers) < len(bad):
        frame = alice.receive("error", "applied", "rejected")
        if frame["id"] in {op["id"] for op in bad}:
            answers[frame["id"]] = frame.get("code", frame["type"])
    assert answers == dict.fromkeys(["bad-1", "bad-2", "bad-3\n"], "invalid_frame")
    applied = [bob.receive("applied")["id"] for _ in good]
    assert applied == ["bob-0", "bob-1", "bob-2"]
    assert live.log_above_info() == []


@pytest.mark.skipif(
    database_vendor() != "sqlite",
    reason="the editor's rule is the same on every database; it runs in the SQLite pass",
)
def test_the_editor_drops_an_op_refused_as_invalid(live):
    """In Chromium: a text with a lone surrogate is refused once, and never resent."""
    mindmap_id = live.owner.get_json("/make/Roadmap/")["id"]
    sent: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []

    def watch_socket(socket: Any) -> None:
        socket.on("framesent", lambda payload: sent.append(json.loads(payload)))
        socket.on(
            "framereceived",
            lambda payload: errors.extend(f for f in unbatch(payload) if f["type"] == "error"),
        )

    with chromium() as browser, person(browser) as (page, problems):
        page.on("websocket", watch_socket)
        page.goto(f"{live.server.url}/login/alice/")
        page.goto(f"{live.server.url}/mindmap/{mindmap_id}/")
        page.wait_for_function("() => window.moaMindmap.state.synced")
        page.locator("[data-role=canvas]").dblclick(position={"x": 200, "y": 200})
        page.locator("input.mm-edit").fill("Launch")
        page.locator("input.mm-edit").press("Enter")
        page.wait_for_function("() => window.moaMindmap.state.pending.size === 0")
        sent.clear()

        # Pasted text can hold half of a surrogate pair; JSON.stringify sends it
        # as "\ud800", which no database can store.
        page.locator(".mm-node", has_text="Launch").dblclick()
        page.locator("input.mm-edit").evaluate("input => { input.value = 'Bad \\ud800'; }")
        page.locator("input.mm-edit").press("Enter")
        for _ in range(100):
            if errors:
                break
            page.wait_for_timeout(100)
        page.wait_for_timeout(RESEND_WINDOW_MS)

        updates = [frame for frame in sent if frame.get("op") == "node.update"]
        assert [frame["text"] for frame in updates] == ["Bad \ud800"]
        assert [(error["code"], error["id"]) for error in errors] == [
            ("invalid_frame", updates[0]["id"])
        ]
        assert page.evaluate("() => window.moaMindmap.state.pending.size") == 0
        assert page.locator("[data-role=status]").text_content() == errors[0]["message"]
        texts = page.evaluate("() => [...window.moaMindmap.state.nodes.values()].map(n => n.text)")
        assert texts == ["Launch"]
        screenshot(page, "mindmap-invalid-op-dropped")
        problems.assert_none()
    assert live.owner.get_json(f"/nodes/{mindmap_id}/")["texts"] == ["Launch"]
    assert live.log_above_info() == []
