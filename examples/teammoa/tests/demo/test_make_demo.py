"""``make demo``'s port: PORT picks it, and a taken port stops the demo at once."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from .conftest import DEMO_DIR

REPO_DIR = DEMO_DIR.parent.parent
needs_make = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A port some other server listens on, on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        yield server.getsockname()[1]


def make(*args: str) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key not in ("PORT", "MAKEFLAGS")}
    return subprocess.run(
        ["make", "--no-print-directory", "-C", str(REPO_DIR), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_check_port_fails_at_once_on_a_taken_port(taken_port: int) -> None:
    """The check exits 1 within a couple of seconds and says which PORT to use."""
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "check_port.py", str(taken_port)],
        cwd=DEMO_DIR,
        capture_output=True,
        text=True,
        timeout=10,
    )
    assert time.monotonic() - started < 2
    assert result.returncode == 1
    assert result.stderr == (
        f"port {taken_port} is in use; run make demo PORT={taken_port + 1} (or stop what uses it)\n"
    )


def test_check_port_passes_on_a_free_port(taken_port: int) -> None:
    """A port nothing listens on passes, silently."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        free = probe.getsockname()[1]
    result = subprocess.run(
        [sys.executable, "check_port.py", str(free)], cwd=DEMO_DIR, capture_output=True, text=True
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_check_port_refuses_a_bad_port() -> None:
    """PORT=abc gets a message, not a traceback."""
    result = subprocess.run(
        [sys.executable, "check_port.py", "abc"], cwd=DEMO_DIR, capture_output=True, text=True
    )
    assert result.returncode == 2
    assert result.stderr == "PORT must be a number from 1 to 65535, not 'abc'.\n"


@needs_make
def test_make_demo_stops_at_once_on_a_taken_port(taken_port: int) -> None:
    """``make demo PORT=<taken>`` fails with the message before building or serving anything."""
    started = time.monotonic()
    result = make("demo", f"PORT={taken_port}")
    assert time.monotonic() - started < 5
    assert result.returncode != 0
    assert f"port {taken_port} is in use; run make demo PORT={taken_port + 1}" in result.stderr
    assert "runserver" not in result.stdout


@needs_make
def test_make_demo_serves_on_port() -> None:
    """``make demo`` checks the port first, then serves on PORT (8000 unless given)."""
    default = make("-n", "demo").stdout.splitlines()
    assert default[0].endswith("examples/teammoa/check_port.py 8000")
    assert default[-1].endswith("manage.py runserver 127.0.0.1:8000")
    chosen = make("-n", "demo", "PORT=8001").stdout.splitlines()
    assert chosen[0].endswith("examples/teammoa/check_port.py 8001")
    assert chosen[-1].endswith("manage.py runserver 127.0.0.1:8001")


@needs_make
def test_demo_venv_installs_the_packages_editable() -> None:
    """An edit under packages/*/src reaches the running demo: the install is editable."""
    commands = make("-n", "-B", "demo").stdout
    [install] = [line for line in commands.splitlines() if "pip install" in line]
    for package in ("moa-ops", "moa-accounts", "moa-queries", "moa-signup", "moa-mindmap"):
        assert f"-e packages/{package}" in install
