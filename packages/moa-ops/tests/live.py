"""Subprocesses of the moa-ops tests: ``tests.asgi`` under uvicorn, a fresh interpreter."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from moa_testsupport import settings
from moa_testsupport.servers import ServerProcess, free_port, migrate_database, uvicorn_command

PACKAGE_DIR = Path(__file__).resolve().parent.parent
# Modules that cost a process's start-up: django-health-check pulls in dnspython and
# redis, and daphne's app pulls in Twisted.
HEAVY_MODULES = ("redis", "dns", "health_check", "twisted")
_LOADED = f"""
import json, sys
print(json.dumps(sorted({{m.split(".")[0] for m in sys.modules}} & set({HEAVY_MODULES!r}))))
"""


def loaded_after(code: str, settings_module: str = "tests.settings") -> list[str]:
    """Run ``code`` in a fresh interpreter; return which of HEAVY_MODULES it left loaded."""
    env = os.environ | {"DJANGO_SETTINGS_MODULE": settings_module, "PYTHONPATH": str(PACKAGE_DIR)}
    completed = subprocess.run(
        [sys.executable, "-c", code + _LOADED],
        cwd=PACKAGE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    loaded: list[str] = json.loads(completed.stdout.splitlines()[-1])
    return loaded


def server_env(
    directory: Path,
    base: str = "tests.settings",
    *,
    database_url: str | None = None,
    **values: Any,
) -> dict[str, str]:
    """Return the environment of a server on ``base`` plus ``values``.

    Its database is the SQLite file ``<directory>/db.sqlite3`` unless ``database_url``
    names another.
    """
    return settings.server_env(
        directory, base, pythonpath=PACKAGE_DIR, database_url=database_url, **values
    )


def migrate(env: dict[str, str]) -> None:
    migrate_database(env, PACKAGE_DIR)


@contextmanager
def uvicorn_server(env: dict[str, str]) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Run ``tests.asgi`` under uvicorn on a free loopback port (its log kept on failure).

    Killed at the end: the tests that need a graceful stop send SIGTERM themselves,
    and a drain would otherwise hold each test for MOA_OPS_DRAIN_TIMEOUT.
    """
    port = free_port()
    command = uvicorn_command("tests.asgi:application", port, "--timeout-graceful-shutdown", "10")
    with ServerProcess(
        command, port, env=env, cwd=PACKAGE_DIR, stop_signal=signal.SIGKILL
    ) as server:
        assert server.process is not None
        yield server.url, server.process
