"""Run the tests' ASGI app under uvicorn in subprocesses, on a shared SQLite file."""

from __future__ import annotations

import json
import os
import subprocess
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any

from moa_testsupport.servers import free_port, migrate_database, uvicorn_command, wait_for_port

PACKAGE_DIR = Path(__file__).resolve().parent.parent


def server_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOA_MINDMAP_TEST_")}
    env.pop("MOA_TEST_DB", None)
    env["DJANGO_SETTINGS_MODULE"] = "tests.settings"
    env["PYTHONPATH"] = str(PACKAGE_DIR) + os.pathsep + env.get("PYTHONPATH", "")
    env["MOA_MINDMAP_TEST_SQLITE_FILE"] = str(tmp_path / "db.sqlite3")
    env.update(extra)
    return env


def redis_server_env(tmp_path: Path, redis_url: str) -> dict[str, str]:
    """Return :func:`server_env` for servers sharing the Redis at ``redis_url``."""
    return server_env(
        tmp_path,
        MOA_MINDMAP_TEST_REDIS_URL=redis_url.replace("/0", "/1"),
        # Another suite may run the same test at the same time on the same Redis, with
        # the same mindmap ids; its own prefix keeps the groups apart.
        MOA_MINDMAP_TEST_REDIS_PREFIX=f"moa-mindmap-test-{uuid.uuid4().hex}",
    )


def migrate(env: dict[str, str]) -> None:
    migrate_database(env, PACKAGE_DIR)


class Server:
    """One uvicorn process serving ``tests.asgi`` on a fixed loopback port."""

    def __init__(self, env: dict[str, str], port: int | None = None, log: Path | None = None):
        self.env = env
        self.port = port or free_port()
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_text(self) -> str:
        """Return what the server wrote to stderr so far (with ``log``)."""
        return self.log.read_text() if self.log is not None else ""

    def start(self) -> None:
        stderr = self.log.open("ab") if self.log is not None else None
        self.process = subprocess.Popen(
            uvicorn_command(
                "tests.asgi:application",
                self.port,
                "--timeout-graceful-shutdown",
                "2",
            ),
            env=self.env,
            cwd=PACKAGE_DIR,
            stderr=stderr,
        )
        if stderr is not None:
            stderr.close()  # The child holds its own descriptor.
        wait_for_port(self.port, self.process)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self.process = None


@contextmanager
def servers(
    env: dict[str, str], count: int = 1, log_dir: Path | None = None
) -> Iterator[list[Server]]:
    """Start ``count`` servers; with ``log_dir`` each writes stderr to ``server-<n>.log``."""
    started = [
        Server(env, log=log_dir / f"server-{n}.log" if log_dir is not None else None)
        for n in range(count)
    ]
    try:
        for server in started:
            server.start()
        yield started
    finally:
        for server in started:
            server.stop()


class Session:
    """An HTTP session against a live server (login, setup endpoints)."""

    def __init__(self, base_url: str, username: str) -> None:
        self.base_url = base_url
        self.jar = CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.get_json(f"/login/{username}/")

    def get_json(self, path: str) -> Any:
        with self.opener.open(self.base_url + path, timeout=10) as response:
            return json.loads(response.read())

    def cookie_header(self) -> str:
        return "; ".join(f"{cookie.name}={cookie.value}" for cookie in self.jar)
