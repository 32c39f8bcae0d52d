"""Run the tests' ASGI app under uvicorn in subprocesses, on settings a test chooses."""

from __future__ import annotations

import base64
import copy
import json
import os
import shutil
import socket
import struct
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any

import pytest

from moa_testsupport import settings
from moa_testsupport.servers import (
    ServerProcess,
    daphne_command,
    free_port,
    migrate_database,
    uvicorn_command,
)
from moa_testsupport.services import require_redis
from moa_testsupport.settings import sqlite_databases

PACKAGE_DIR = Path(__file__).resolve().parent.parent


def sqlite_file(directory: Path) -> Path:
    """The SQLite file a test in ``directory`` shares with its servers."""
    return directory / "db.sqlite3"


def server_env(
    directory: Path,
    base: str = "tests.settings",
    *,
    database_url: str | None = None,
    **values: Any,
) -> dict[str, str]:
    """Return the environment of a server on ``base`` plus ``values``.

    Its database is :func:`sqlite_file` (``directory/db.sqlite3``) unless
    ``database_url`` names another.
    """
    if database_url is None:
        # The test writes to the file while the servers do: wait for its lock.
        databases = sqlite_databases(sqlite_file(directory))
        databases["default"]["OPTIONS"] = {"timeout": 20}
        values.setdefault("DATABASES", databases)
    return settings.server_env(
        directory, base, pythonpath=PACKAGE_DIR, database_url=database_url, **values
    )


def redis_server_env(directory: Path) -> dict[str, str]:
    """Return :func:`server_env` for servers sharing ``tests.settings_redis``' Redis.

    Another suite may run the same test at the same time on the same Redis, with the
    same mindmap ids; a prefix of this test's own keeps the groups apart. Skips the
    test when Redis is absent (fails it under ``MOA_REQUIRE_SERVICES=1``).
    """
    from tests import settings_redis

    require_redis()
    layers = copy.deepcopy(settings_redis.CHANNEL_LAYERS)
    layers["default"]["CONFIG"]["prefix"] = f"moa-mindmap-test-{uuid.uuid4().hex}"
    return server_env(directory, "tests.settings_redis", CHANNEL_LAYERS=layers)


def migrate(env: dict[str, str]) -> None:
    migrate_database(env, PACKAGE_DIR)


def migrated_env(migrated: Path, directory: Path, base: str = "tests.settings") -> dict[str, str]:
    """Return :func:`server_env` on ``base``, on a copy of the ``migrated`` SQLite file.

    Copying the session's migrated database saves each module its own migrate.
    """
    shutil.copyfile(migrated, sqlite_file(directory))
    return server_env(directory, base)


# The servers run on an SQLite file whatever database the suite runs on: once is enough.
sqlite_run_only = pytest.mark.skipif(
    os.environ.get("MOA_TEST_DB", "sqlite") != "sqlite",
    reason="the live servers run on SQLite in every run",
)


class Server(ServerProcess):
    """One uvicorn (or daphne) process serving ``tests.asgi`` on a fixed loopback port."""

    def __init__(
        self,
        env: dict[str, str],
        port: int | None = None,
        log: Path | None = None,
        options: tuple[str, ...] = (),
        kind: str = "uvicorn",
    ):
        port = port or free_port()
        app = "tests.asgi:application"
        if kind == "daphne":
            command = daphne_command(app, port, *options)
        else:
            command = uvicorn_command(app, port, "--timeout-graceful-shutdown", "2", *options)
        super().__init__(command, port, env=env, cwd=PACKAGE_DIR, log=log)
        self.kind = kind


@contextmanager
def servers(
    env: dict[str, str],
    count: int = 1,
    log_dir: Path | None = None,
    options: tuple[str, ...] = (),
    kind: str = "uvicorn",
) -> Iterator[list[Server]]:
    """Start ``count`` servers; with ``log_dir`` each writes stderr to ``server-<n>.log``.

    ``options`` are added to each command line; ``kind`` is ``uvicorn`` or ``daphne``.
    """
    started = [
        Server(
            env,
            log=log_dir / f"server-{n}.log" if log_dir is not None else None,
            options=options,
            kind=kind,
        )
        for n in range(count)
    ]
    try:
        for server in started:
            server.start()
        yield started
    finally:
        for server in started:
            server.close()


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


class RawSocket:
    """A WebSocket client on a bare socket: it sends frames and reads only when told.

    An attacker's client that never reads is what the server must bound; a
    library client reads (and answers pings) in the background.
    """

    def __init__(self, port: int, path: str, headers: dict[str, str]) -> None:
        self.sock = socket.socket()
        # A small receive window: the server's output backs up after a few KiB.
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.sock.settimeout(10)
        self.sock.connect(("127.0.0.1", port))
        key = base64.b64encode(os.urandom(16)).decode()
        lines = [
            f"GET {path} HTTP/1.1",
            f"Host: 127.0.0.1:{port}",
            "Upgrade: websocket",
            "Connection: Upgrade",
            f"Sec-WebSocket-Key: {key}",
            "Sec-WebSocket-Version: 13",
            *(f"{name}: {value}" for name, value in headers.items()),
        ]
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        response = b""
        while b"\r\n\r\n" not in response:
            chunk = self.sock.recv(1)
            if not chunk:
                raise ConnectionError("closed during the handshake")
            response += chunk
        self.status = int(response.split()[1])
        self.buffer = b""

    def send_text(self, text: str) -> bool:
        """Send one masked text frame; return ``False`` once the server stops reading."""
        payload = text.encode()
        header = bytes([0x81])
        if len(payload) < 126:
            header += bytes([0x80 | len(payload)])
        elif len(payload) < 65536:
            header += bytes([0x80 | 126]) + struct.pack("!H", len(payload))
        else:
            header += bytes([0x80 | 127]) + struct.pack("!Q", len(payload))
        mask = os.urandom(4)
        masked = bytes(byte ^ mask[n % 4] for n, byte in enumerate(payload))
        try:
            self.sock.sendall(header + mask + masked)
        except (TimeoutError, OSError):
            return False
        return True

    def close_code(self, timeout_s: float = 10) -> int | None:
        """Read until the server's close frame; return its code (``None``: dropped)."""
        self.sock.settimeout(timeout_s)
        while True:
            frame = self._read_frame()
            if frame is None:
                return None
            opcode, payload = frame
            if opcode == 0x8:
                return int(struct.unpack("!H", payload[:2])[0]) if payload else 1005

    def _read_frame(self) -> tuple[int, bytes] | None:
        header = self._read(2)
        if header is None:
            return None
        length = header[1] & 0x7F
        if length == 126:
            extended = self._read(2)
            length = struct.unpack("!H", extended)[0] if extended else 0
        elif length == 127:
            extended = self._read(8)
            length = struct.unpack("!Q", extended)[0] if extended else 0
        payload = self._read(length)
        if payload is None:
            return None
        return header[0] & 0x0F, payload

    def _read(self, size: int) -> bytes | None:
        while len(self.buffer) < size:
            try:
                chunk = self.sock.recv(65536)
            except (TimeoutError, OSError):
                return None
            if not chunk:
                return None
            self.buffer += chunk
        data, self.buffer = self.buffer[:size], self.buffer[size:]
        return data

    def close(self) -> None:
        self.sock.close()
