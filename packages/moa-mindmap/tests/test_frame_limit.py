"""The ASGI server, not the application, refuses frames far over the app's limit.

uvicorn reads WebSocket messages of up to 16 MiB by default, on every route,
before the application sees them: ``MOA_MINDMAP_MAX_MESSAGE_BYTES`` (16 KiB)
only applies once a message has been read whole. Run with the recommended
``UVICORN_WS_MAX_SIZE`` and uvicorn closes the connection with 1009 instead.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import websockets.sync.client as ws_client
from django.core.checks import run_checks
from django.test import override_settings
from websockets.exceptions import ConnectionClosed

from moa_mindmap.conf import UVICORN_MAX_SIZE_VARIABLE, server_frame_limit_bytes

from .live import Server, Session, migrated_env, servers, sqlite_run_only

ONE_MIB = "x" * 1_048_576


@pytest.fixture(scope="module")
def database(migrated_sqlite: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return migrated_env(migrated_sqlite, tmp_path_factory.mktemp("frame-limit"))


@pytest.fixture(scope="module")
def bounded(database: dict[str, str]) -> Iterator[Server]:
    """uvicorn with the limit the docs recommend, set through its environment variable."""
    env = {**database, UVICORN_MAX_SIZE_VARIABLE: str(server_frame_limit_bytes())}
    with servers(env) as (one,):
        yield one


@pytest.fixture(scope="module")
def unbounded(database: dict[str, str]) -> Iterator[Server]:
    """uvicorn as it starts by default (16 MiB)."""
    env = {k: v for k, v in database.items() if k != UVICORN_MAX_SIZE_VARIABLE}
    with servers(env) as (one,):
        yield one


def ping_socket(server: Server) -> ws_client.ClientConnection:
    return ws_client.connect(
        server.url.replace("http", "ws") + "/ws/ping/", open_timeout=10, max_size=None
    )


@contextmanager
def mindmap_socket(server: Server, name: str) -> Iterator[ws_client.ClientConnection]:
    """Open a logged-in user's socket on a new mindmap, past its snapshot."""
    session = Session(server.url, name)
    mindmap_id = session.get_json(f"/make/{name}/")["id"]
    with ws_client.connect(
        server.url.replace("http", "ws") + f"/ws/mindmap/{mindmap_id}/",
        additional_headers={"Cookie": session.cookie_header(), "Origin": server.url},
        open_timeout=10,
        max_size=None,
    ) as socket:
        assert json.loads(socket.recv(timeout=10))["type"] == "snapshot"
        yield socket


def close_code(socket: ws_client.ClientConnection) -> int | None:
    """Return the code the server closed with, reading what comes before it."""
    try:
        for _ in range(10):
            socket.recv(timeout=10)
    except ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd is not None else None
    return None


@sqlite_run_only
def test_the_recommended_limit_refuses_a_1_mib_frame_on_ws_ping(bounded):
    """Unauthenticated ``ws/ping/``: uvicorn closes with 1009 (message too big)."""
    with ping_socket(bounded) as socket:
        socket.send(ONE_MIB)
        assert close_code(socket) == 1009
    with ping_socket(bounded) as socket:
        socket.send("ping")
        assert socket.recv(timeout=10) == "pong"


@sqlite_run_only
def test_the_recommended_limit_refuses_a_1_mib_frame_on_the_mindmap(bounded):
    """The mindmap route: 1009 from the server; a frame just over the app's limit
    still reaches the app and gets its ``message_too_large`` error frame."""
    with mindmap_socket(bounded, "big") as socket:
        socket.send(ONE_MIB)
        assert close_code(socket) == 1009
    with mindmap_socket(bounded, "edge") as socket:
        socket.send(json.dumps({"type": "ping", "pad": "x" * 20_000}))
        frame = json.loads(socket.recv(timeout=10))
        assert (frame["type"], frame["code"]) == ("error", "message_too_large")


@sqlite_run_only
def test_without_the_limit_the_application_reads_1_mib(unbounded):
    """What the limit changes: uvicorn's default hands 1 MiB to the application."""
    with ping_socket(unbounded) as socket:
        socket.send(ONE_MIB)
        assert json.loads(socket.recv(timeout=10)) == {"received_bytes": 1_048_576}
    with mindmap_socket(unbounded, "default") as socket:
        socket.send(ONE_MIB)
        frame = json.loads(socket.recv(timeout=10))
        assert frame["code"] == "message_too_large"


def test_the_deploy_check_reads_uvicorns_variable(monkeypatch):
    """``check --deploy`` warns W002 without a known limit, W003 for uvicorn's default."""
    monkeypatch.delenv(UVICORN_MAX_SIZE_VARIABLE, raising=False)
    assert "moa_mindmap.W002" in deploy_ids()
    monkeypatch.setenv(UVICORN_MAX_SIZE_VARIABLE, str(16 * 1024 * 1024))
    assert "moa_mindmap.W003" in deploy_ids()
    monkeypatch.setenv(UVICORN_MAX_SIZE_VARIABLE, str(server_frame_limit_bytes()))
    assert not {"moa_mindmap.W002", "moa_mindmap.W003", "moa_mindmap.W004"} & deploy_ids()


def test_the_deploy_check_prefers_the_setting(monkeypatch):
    """``MOA_MINDMAP_SERVER_MAX_FRAME_BYTES`` (other servers) wins over the variable."""
    monkeypatch.setenv(UVICORN_MAX_SIZE_VARIABLE, str(16 * 1024 * 1024))
    with override_settings(MOA_MINDMAP_SERVER_MAX_FRAME_BYTES=1024):
        assert "moa_mindmap.W004" in deploy_ids()
    with override_settings(MOA_MINDMAP_SERVER_MAX_FRAME_BYTES=server_frame_limit_bytes()):
        assert "moa_mindmap.W003" not in deploy_ids()


def deploy_ids() -> set[str]:
    return {message.id for message in run_checks(include_deployment_checks=True)}


def test_the_recommended_limit_is_twice_the_apps():
    """Twice MOA_MINDMAP_MAX_MESSAGE_BYTES, or twice the value a settings module passes."""
    assert server_frame_limit_bytes() == 32_768
    with override_settings(MOA_MINDMAP_MAX_MESSAGE_BYTES=1000):
        assert server_frame_limit_bytes() == 2000
    assert server_frame_limit_bytes(4096) == 8192
