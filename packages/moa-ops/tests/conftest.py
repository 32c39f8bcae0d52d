from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from moa_ops import health
from moa_testsupport.servers import ServerProcess, free_port, migrate_database, uvicorn_command

PACKAGE_DIR = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _fresh_check_state() -> Iterator[None]:
    """Each test starts with no remembered migration state and no drain."""
    from moa_ops import drain

    health._migrations_applied.clear()
    drain.end_drain()
    yield
    drain.end_drain()


def server_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOA_OPS_TEST_")}
    env["DJANGO_SETTINGS_MODULE"] = "tests.settings"
    env["PYTHONPATH"] = str(PACKAGE_DIR)
    env.setdefault("MOA_OPS_TEST_SQLITE_FILE", str(tmp_path / "db.sqlite3"))
    env.pop("MOA_TEST_DB", None)
    env.update(extra)
    if "MOA_TEST_DB" in extra:
        env.pop("MOA_OPS_TEST_SQLITE_FILE", None)
    return env


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


@pytest.fixture
def run_server(tmp_path: Path) -> Callable[..., object]:
    def start(migrated: bool = True, **extra: str) -> object:
        env = server_env(tmp_path, **extra)
        if migrated:
            migrate(env)
        return uvicorn_server(env)

    return start
