"""Probes served by a real uvicorn process, faults from real (dead or hung) services."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from moa_testsupport.services import require_redis, require_service

from .hung_server import silent_server
from .live import server_env

Server = Callable[..., Any]


def get(url: str, host: str | None = None) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(url, headers={"Host": host} if host else {})
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def probe(url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "moa_ops.healthcheck", url, "--timeout", "10"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_probe_cli_against_real_server(run_server: Server) -> None:
    """``python -m moa_ops.healthcheck`` exits 0 on live and ready of a healthy server."""
    with run_server() as (base, _):
        live = probe(base + "/health/live/")
        assert live.returncode == 0, live.stderr
        assert probe(base + "/health/ready/").returncode == 0
        missing = probe(base + "/health/missing/")
        assert missing.returncode == 1
        assert "400" in missing.stderr  # 127.0.0.1 is not in ALLOWED_HOSTS


def test_probe_without_middleware_gets_400(run_server: Server) -> None:
    """Without HealthProbeMiddleware the in-container probe fails on ALLOWED_HOSTS."""
    with run_server("tests.settings_without_probe_middleware") as (base, _):
        result = probe(base + "/health/live/")
    assert result.returncode == 1
    assert "400" in result.stderr


def test_probe_treats_redirect_as_failure(run_server: Server) -> None:
    """With SSL redirect and no middleware, the probe sees 301 and fails."""
    with run_server("tests.settings_ssl_redirect_without_probe_middleware") as (base, _):
        result = probe(base + "/health/live/")
    # 127.0.0.1 is refused before the redirect; with an allowed host it redirects.
    assert result.returncode == 1
    with run_server("tests.settings_ssl_redirect") as (base, _):
        assert probe(base + "/health/live/").returncode == 0


def test_probe_rejects_bad_urls() -> None:
    """A malformed URL is a clear failure, not a traceback."""
    result = probe("ftp://example/")
    assert result.returncode == 1
    assert "not an http(s) URL" in result.stderr
    assert "Traceback" not in result.stderr


def test_database_refusing_connections(run_server: Server) -> None:
    """PostgreSQL unreachable: live 200, ready 503 naming the database."""
    with run_server(migrated=False, database_url="postgres://moa@127.0.0.1:1/none") as (base, _):
        assert get(base + "/health/live/")[0] == 200
        status, body = get(base + "/health/ready/")
    assert status == 503
    assert "database" in body["failing"]
    assert body["checks"]["database"] == "OperationalError"


def test_database_that_hangs(run_server: Server) -> None:
    """A database that accepts and never answers fails readiness within the timeout."""
    with (
        silent_server() as port,
        run_server(
            migrated=False,
            database_url=f"postgres://moa@127.0.0.1:{port}/none",
            MOA_OPS_CHECK_TIMEOUT=1,
        ) as (base, _),
    ):
        started = time.monotonic()
        status, body = get(base + "/health/ready/")
        elapsed = time.monotonic() - started
        # The hung check does not block the server: live still answers.
        assert get(base + "/health/live/")[0] == 200
    assert status == 503
    assert body["checks"]["database"] == "timed out after 1s"
    assert elapsed < 15  # bounded: the probe does not hang with the database


def test_real_postgresql_and_redis(run_server: Server) -> None:
    """On real PostgreSQL and Redis, readiness passes with every check named."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        pytest.skip("DATABASE_URL does not point at PostgreSQL")
    require_service("PostgreSQL", "127.0.0.1", 5432)
    require_redis()
    with run_server("tests.settings_redis", database_url=url) as (base, _):
        status, body = get(base + "/health/ready/")
    assert status == 200, body
    assert set(body["checks"]) == {"draining", "database", "cache", "channel_layer", "migrations"}


def test_dead_redis_channel_layer(run_server: Server) -> None:
    """A channel layer whose Redis is gone: 503 naming it; pages still serve."""
    with run_server("tests.settings_dead_channel_layer") as (base, _):
        status, body = get(base + "/health/ready/")
        page_status, _ = get(base + "/", host="app.example.com")
    assert status == 503
    assert body["failing"] == ["channel_layer"]
    assert page_status == 200


def test_drain_command_flips_running_server(run_server: Server, tmp_path: Any) -> None:
    """``manage.py drain`` in another process makes the server's readiness 503."""
    drain_file = str(tmp_path / "drain")
    with run_server(MOA_OPS_DRAIN_FILE=drain_file) as (base, _):
        assert get(base + "/health/ready/")[0] == 200
        # The command runs on the server's settings: the same drain file.
        env = server_env(tmp_path, MOA_OPS_DRAIN_FILE=drain_file)
        subprocess.run(
            [sys.executable, "-m", "django", "drain", "--no-wait"],
            env=env,
            check=True,
            timeout=60,
        )
        status, body = get(base + "/health/ready/")
        assert (status, body["status"]) == (503, "draining")
        assert get(base + "/", host="app.example.com")[0] == 200
        subprocess.run(
            [sys.executable, "-m", "django", "drain", "--undo"],
            env=env,
            check=True,
            timeout=60,
        )
        assert get(base + "/health/ready/")[0] == 200


def test_uvicorn_sigterm_finishes_requests_and_closes_websockets(run_server: Server) -> None:
    """What moa-ops relies on from uvicorn: SIGTERM lets an in-flight request
    finish and closes open WebSockets with 1012 so clients reconnect elsewhere."""
    with (
        run_server() as (base, process),
        connect(base.replace("http", "ws") + "/ws/echo/", open_timeout=10) as ws,
    ):
        ws.send("hello")
        assert ws.recv(timeout=10) == "hello"
        result: dict[str, Any] = {}

        def slow_request() -> None:
            result["status"], result["body"] = get(base + "/slow/?s=1.5", host="app.example.com")

        thread = threading.Thread(target=slow_request)
        thread.start()
        time.sleep(0.5)  # let the request reach the view
        process.send_signal(signal.SIGTERM)
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=10)
        thread.join(20)
        # uvicorn re-raises SIGTERM once it has shut down gracefully.
        assert process.wait(20) in (0, -signal.SIGTERM)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1012
    assert result == {"status": 200, "body": {"page": "slow"}}
