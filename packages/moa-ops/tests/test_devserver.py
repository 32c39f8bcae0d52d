"""``moa_ops.devserver``: runserver on daphne, with Twisted loaded only by runserver."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
import websockets

from moa_ops import checks
from moa_testsupport.servers import ServerProcess, free_port, runserver_command

from .live import PACKAGE_DIR, loaded_after, server_env


def subprocess_env(settings: str) -> dict[str, str]:
    return os.environ | {"DJANGO_SETTINGS_MODULE": settings, "PYTHONPATH": str(PACKAGE_DIR)}


def test_django_setup_loads_twisted_with_daphne_and_not_with_the_devserver() -> None:
    """``daphne`` in INSTALLED_APPS imports Twisted at start-up; the devserver app does not."""
    setup = "import django\ndjango.setup()\n"
    assert "twisted" in loaded_after(setup, "tests.settings")
    assert "twisted" not in loaded_after(setup, "tests.settings_devserver")


def test_runserver_serves_http_and_websockets(tmp_path: Path) -> None:
    """With the devserver app first, runserver is daphne's: a WebSocket route answers."""
    env = server_env(tmp_path, "tests.settings_devserver")
    port = free_port()
    with ServerProcess(runserver_command(port), port, env=env, cwd=PACKAGE_DIR) as server:
        with urllib.request.urlopen(f"{server.url}/health/live/", timeout=10) as response:
            assert response.status == 200

        async def echo() -> str:
            async with websockets.connect(f"ws://127.0.0.1:{port}/ws/echo/") as socket:
                await socket.send("hello")
                return str(await asyncio.wait_for(socket.recv(), 10))

        # Django's own runserver would answer this handshake with 404.
        assert asyncio.run(echo()) == "hello"


def run_without_daphne(*argv: str) -> subprocess.CompletedProcess[str]:
    """Run ``manage.py <argv>`` with the devserver settings where daphne cannot import."""
    code = (
        "import sys; sys.modules['daphne'] = None\n"
        "from django.core.management import execute_from_command_line\n"
        f"execute_from_command_line(['manage.py', *{list(argv)!r}])\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=PACKAGE_DIR,
        env=subprocess_env("tests.settings_devserver"),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_runserver_without_daphne_is_a_command_error() -> None:
    """Without daphne the command stops with what to install, not a traceback."""
    done = run_without_daphne("runserver", "--noreload", "--skip-checks", "127.0.0.1:1")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "CommandError: moa_ops.devserver runs runserver on daphne" in done.stderr
    assert "pip install daphne" in done.stderr


def test_the_command_refuses_to_run_without_daphne(monkeypatch) -> None:
    """In process: the command's own check of the import it made, before any server starts."""
    from django.core.management.base import CommandError

    from moa_ops.devserver.management.commands import runserver

    monkeypatch.setattr(runserver, "DAPHNE_MISSING", ImportError("daphne"))
    with pytest.raises(CommandError, match="pip install daphne"):
        runserver.Command().handle(addrport="127.0.0.1:1", use_reloader=False)


def test_e004_check_without_daphne() -> None:
    """``manage.py check`` fails with ``moa_ops.E004`` where daphne is missing."""
    done = run_without_daphne("check")
    assert done.returncode == 1
    assert "moa_ops.E004" in done.stderr
    assert "pip install daphne" in done.stderr


def test_e004_quiet_with_daphne(monkeypatch) -> None:
    assert checks.check_devserver_has_daphne() == []
    monkeypatch.setitem(sys.modules, "daphne", None)
    [message] = checks.check_devserver_has_daphne()
    assert message.id == checks.DEVSERVER_WITHOUT_DAPHNE_ID
