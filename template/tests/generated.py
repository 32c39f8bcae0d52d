"""Generated projects as the template tests use them: one virtualenv, environments, servers.

The Moa packages install by name from a local package index (moa_testsupport.index); a
generated project's own requirements then install with --no-index, so a requirement
this environment lacks fails here rather than downloading.
"""

from __future__ import annotations

import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from baking import DEFAULTS, REPO_DIR, SLUG, dockerfile_cmd, dockerfile_run_step
from websockets.sync.client import connect
from websockets.typing import Origin

MOA_PACKAGES = ["moa-ops", "moa-accounts", "moa-queries", "moa-signup", "moa-mindmap"]
EMBEDDED = {
    "database": "sqlite",
    "channel_layer": "in-memory",
    "email_backend": "console",
    "ci": "none",
    "deploy_target": "none",
}
# The defaults include every Moa app on PostgreSQL and Redis; "embedded" is the
# smallest project (SQLite, the in-memory layer, no optional app); and
# "embedded-apps" runs the optional apps on the embedded stack, so its
# production settings can serve them here without PostgreSQL or Redis.
REPRESENTATIVE = {
    "defaults": {},
    "embedded": {**EMBEDDED, "use_signup": "no", "use_mindmap": "no"},
    "embedded-apps": {**EMBEDDED, "use_signup": "yes", "use_mindmap": "yes"},
}


def includes(name: str, app: str) -> bool:
    """Whether the representative project ``name`` includes the optional ``app``."""
    return {**DEFAULTS, **REPRESENTATIVE[name]}[f"use_{app}"] == "yes"


def run(
    command: list[str | Path],
    cwd: Path,
    env: dict[str, str] | None = None,
    timeout=300,
    *,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    """Run ``command`` in ``cwd``; with ``check``, fail unless it exits 0."""
    result = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if check:
        assert result.returncode == 0, f"{command}\n{result.stdout}\n{result.stderr}"
    return result


def make_venv(venv: Path) -> Path:
    """Create a virtualenv with pip for this Python; return its python."""
    run(
        [sys.executable, "-m", "uv", "venv", "-q", "--seed", "--python", sys.executable, venv],
        cwd=venv.parent,
        timeout=120,
    )
    return venv / "bin" / "python"


def clean_env(**extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL", "PYTEST_", "MOA_"))
    }
    env.update(extra)
    return env


def production_env(name: str, tmp_path: Path) -> dict[str, str]:
    env = clean_env(
        DJANGO_SETTINGS_MODULE=f"{SLUG}.settings.production",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DATABASE_URL=f"sqlite:///{tmp_path / 'production.sqlite3'}",
        DJANGO_ALLOWED_HOSTS="example.com",
        # As compose.yaml sets it: signups queue their email for the worker.
        MOA_SIGNUP_DELIVERY="task",
    )
    if name == "defaults":
        # deploy_target=aws-alb: shared services, never this host's (nothing connects).
        env["DATABASE_URL"] = "postgres://app@app-db.internal:5432/app"
        env["REDIS_URL"] = "redis://app-cache.internal:6379/0"
        # Uploads in S3 (nothing connects until a file is saved).
        env["DJANGO_AWS_STORAGE_BUCKET_NAME"] = "app-uploads"
    return env


def moa_versions() -> dict[str, str]:
    """The version of each Moa package, as its pyproject.toml declares it."""
    return {
        name: tomllib.loads((REPO_DIR / "packages" / name / "pyproject.toml").read_text())[
            "project"
        ]["version"]
        for name in MOA_PACKAGES
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def server(
    command: list[str | Path], cwd: Path, env: dict[str, str], port: int
) -> Iterator[subprocess.Popen[bytes]]:
    """Start a server and wait (bounded) until it listens on 127.0.0.1:port."""
    log_path = cwd / f"server-{port}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(part) for part in command], cwd=cwd, env=env, stdout=log, stderr=log
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                assert process.poll() is None, log_path.read_text()
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                        break
                except OSError:
                    assert time.monotonic() < deadline, "the server did not listen within 60 s"
                    time.sleep(0.2)
            yield process
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(20)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(10)


def loopback_command(python: Path, path: Path, port: int) -> list[str | Path]:
    """The Dockerfile's uvicorn command, with this Python, on 127.0.0.1:``port``."""
    cmd = dockerfile_cmd(path)
    cmd[cmd.index("--host") + 1] = "127.0.0.1"
    cmd[cmd.index("--port") + 1] = str(port)
    return [python, "-m", *cmd]


def ping_over_websocket(port: int) -> str:
    url = f"ws://127.0.0.1:{port}/ws/ping/"
    with connect(url, origin=Origin(f"http://127.0.0.1:{port}"), open_timeout=10) as websocket:
        websocket.send("ping")
        return str(websocket.recv(timeout=10))


def probe(python: Path, url: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The Dockerfile's HEALTHCHECK command."""
    return subprocess.run(
        [str(python), "-m", "moa_ops.healthcheck", url],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def dockerfile_env(path: Path, name: str) -> str:
    """The value the Dockerfile's ENV gives ``name``."""
    match = re.search(rf"\b{name}=(\S+)", (path / "Dockerfile").read_text())
    assert match, f"the Dockerfile sets no {name}"
    return match[1]


def collect_static(path: Path, python: Path) -> subprocess.CompletedProcess[str]:
    """Run the image's collectstatic step as the Dockerfile writes it, with ``python``.

    The files land where the image has them (the project's ``staticfiles/``), and the app
    reads its manifest there under the production settings.
    """
    variables, argv = dockerfile_run_step(path, "manage.py collectstatic")
    assert argv[0] == "/venv/bin/python", argv
    return run([python, *argv[1:]], path, clean_env(**variables))
