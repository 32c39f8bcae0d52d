"""Start and wait for server processes on loopback, bounded in time."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def uvicorn_command(app: str, port: int, *options: str, log_level: str = "warning") -> list[str]:
    """The command that serves ``app`` with uvicorn (this Python) on 127.0.0.1:``port``."""
    return [
        sys.executable,
        "-m",
        "uvicorn",
        app,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--lifespan",
        "off",
        "--log-level",
        log_level,
        *options,
    ]


def wait_for_port(
    port: int, process: subprocess.Popen[bytes] | None = None, timeout_s: float = 30
) -> None:
    """Wait until 127.0.0.1:``port`` accepts connections; fail if ``process`` exits first."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"server exited early with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"server did not listen on {port} within {timeout_s}s")


def migrate_database(env: dict[str, str], cwd: Path) -> None:
    """Run ``django migrate`` in a subprocess, for a server process started next."""
    subprocess.run(
        [sys.executable, "-m", "django", "migrate", "--verbosity", "0"],
        env=env,
        cwd=cwd,
        check=True,
        timeout=120,
    )
