"""The harness's own PostgreSQL cluster and Redis server, so faults never touch shared ones."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from moa_testsupport.servers import ProcessGroup, free_port, is_alive, port_open, wait_until


def postgres_bin_dir() -> Path | None:
    """Return the newest PostgreSQL server bin directory installed, if any."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda path: int(Path(path).parent.parent.name),
    )
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


class PostgresCluster:
    """A throwaway PostgreSQL cluster on a free loopback port.

    As root, the server runs as the ``postgres`` OS user (it refuses root).
    """

    def __init__(self, group: ProcessGroup, bin_dir: Path) -> None:
        self.group = group
        self.bin_dir = bin_dir
        self.port = free_port()
        # Not under pytest's 0700 tmp: the postgres user must be able to enter it.
        self.root = Path(tempfile.mkdtemp(prefix="moa-e2e-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "postgres.log"
        self.user = "postgres" if os.geteuid() == 0 else None
        if self.user:
            os.chown(self.root, pwd.getpwnam(self.user).pw_uid, -1)
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/moa_e2e"

    def init(self) -> None:
        """Create the cluster and the ``moa_e2e`` database."""
        subprocess.run(
            [self.bin_dir / "initdb", "-D", self.data, "-A", "trust", "-U", "postgres",
             "--no-sync", "-E", "UTF8"],
            check=True, capture_output=True, user=self.user, timeout=120,
        )  # fmt: skip
        self.start()
        subprocess.run(
            [self.bin_dir / "createdb", "-h", "127.0.0.1", "-p", str(self.port),
             "-U", "postgres", "moa_e2e"],
            check=True, capture_output=True, timeout=60,
        )  # fmt: skip

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        self.process = self.group.start(
            [self.bin_dir / "postgres", "-D", self.data, "-p", str(self.port),
             "-k", self.root, "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off",
             "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
             "-c", "max_connections=200"],
            log=self.log, user=self.user, stop_signal=signal.SIGINT,
        )  # fmt: skip
        wait_until(lambda: self._ready(), 60, "PostgreSQL to accept connections")

    def _ready(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise RuntimeError(f"PostgreSQL exited; see {self.log}:\n{self.log.read_text()}")
        result = subprocess.run(
            [self.bin_dir / "pg_isready", "-h", "127.0.0.1", "-p", str(self.port)],
            capture_output=True, check=False, timeout=10,
        )  # fmt: skip
        return result.returncode == 0

    def stop(self) -> None:
        """Fast shutdown (SIGINT to the postmaster: sessions are cut, data is kept)."""
        if self.process is not None:
            self.group.stop(self.process)
            self.process = None

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


class RedisServer:
    """A private redis-server on a free loopback port, without persistence."""

    def __init__(self, group: ProcessGroup, binary: str, log_dir: Path) -> None:
        self.group = group
        self.binary = binary
        self.port = free_port()
        self.log = log_dir / "redis.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = self.group.start(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--daemonize", "no", "--protected-mode", "yes"],
            log=self.log,
        )  # fmt: skip
        wait_until(lambda: port_open(self.port), 30, "redis-server to listen")

    def stop(self) -> None:
        if self.process is not None:
            pid = self.process.pid
            self.group.stop(self.process)
            assert not is_alive(pid)
            self.process = None
