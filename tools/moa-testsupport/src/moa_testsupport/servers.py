"""Start, wait for and stop server processes on loopback, bounded in time.

The one server harness of the repository's suites::

    with ServerProcess(uvicorn_command("tests.asgi:application", port), port, env=env) as server:
        urlopen(server.url + "/health/live/")

:class:`ServerProcess` starts a server (uvicorn, daphne, runserver: see the
``*_command`` functions), waits until its port accepts connections, and stops
it with SIGTERM, then SIGKILL after ``stop_timeout_s``. Its output goes to a log
file that is kept, and quoted in the error, when the block fails.
:class:`ProcessGroup` stops every process a test scope started, each by its id.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType

LOG_TAIL_CHARS = 4000


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_open(port: int, host: str = "127.0.0.1", timeout_s: float = 0.5) -> bool:
    """Return whether something accepts TCP connections on ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return True
    except OSError:
        return False


def wait_until(
    condition: Callable[[], bool], timeout_s: float, what: str, interval_s: float = 0.1
) -> None:
    """Poll ``condition`` until it holds; fail with ``what`` after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout_s}s waiting for {what}")
        time.sleep(interval_s)


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


def daphne_command(app: str, port: int, *options: str) -> list[str]:
    """The command that serves ``app`` with daphne (this Python) on 127.0.0.1:``port``."""
    return [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), *options, app]


def runserver_command(port: int, *options: str) -> list[str]:
    """The command that runs ``django runserver`` (no autoreload) on 127.0.0.1:``port``."""
    return [
        sys.executable,
        "-m",
        "django",
        "runserver",
        f"127.0.0.1:{port}",
        "--noreload",
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


def is_alive(pid: int) -> bool:
    """Return whether ``pid`` is a running (not zombie) process."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    # The state follows the parenthesised command name.
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def stop_pid(pid: int, sig: int = signal.SIGTERM, timeout_s: float = 15.0) -> None:
    """Send ``sig`` to ``pid``; SIGKILL it if it still runs after ``timeout_s``."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)
    deadline = time.monotonic() + timeout_s
    while is_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if is_alive(pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 5
        while is_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)


def stop_child(
    child: subprocess.Popen[bytes], sig: int = signal.SIGTERM, timeout_s: float = 10.0
) -> None:
    """Stop a child process by its id with ``sig``, SIGKILL after ``timeout_s``; reap it."""
    if child.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        child.send_signal(sig)
    try:
        child.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait(timeout=5)


class ServerProcess:
    """One server process listening on 127.0.0.1:``port``; a context manager.

    ``start()`` runs ``argv`` with stdout and stderr in ``log`` (a temporary
    file when ``None``) and waits until the port accepts connections, failing
    with the log's tail if the process exits first. ``stop()`` sends
    ``stop_signal`` and kills the process after ``stop_timeout_s``. Leaving the
    ``with`` block with an exception keeps the log and adds its path and tail
    to the exception; otherwise a temporary log is deleted.
    """

    def __init__(
        self,
        argv: Sequence[str | os.PathLike[str]],
        port: int,
        *,
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
        log: Path | None = None,
        stop_signal: int = signal.SIGTERM,
        stop_timeout_s: float = 10.0,
        start_timeout_s: float = 30.0,
    ) -> None:
        self.argv = [str(part) for part in argv]
        self.port = port
        self.env = env
        self.cwd = cwd
        self._own_log = log is None
        self.log = log if log is not None else Path(tempfile.mkstemp(suffix=".log")[1])
        self.stop_signal = stop_signal
        self.stop_timeout_s = stop_timeout_s
        self.start_timeout_s = start_timeout_s
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_text(self) -> str:
        """Return what the server has written so far."""
        try:
            return self.log.read_text(errors="replace")
        except OSError:
            return ""

    def log_tail(self) -> str:
        return self.log_text()[-LOG_TAIL_CHARS:]

    def start(self) -> ServerProcess:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                self.argv,
                env=self.env,
                cwd=self.cwd,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        try:
            wait_for_port(self.port, self.process, self.start_timeout_s)
        except RuntimeError as error:
            self.stop()
            raise RuntimeError(f"{error}; {self.log}:\n{self.log_tail()}") from None
        return self

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL) and reap it; nothing if not running."""
        if self.process is not None:
            stop_child(self.process, self.stop_signal, self.stop_timeout_s)

    def close(self) -> None:
        """Stop the server and delete its log, unless the log was given to ``__init__``."""
        self.stop()
        if self._own_log:
            self.log.unlink(missing_ok=True)

    def rss_bytes(self) -> int:
        """Return the server process's resident set size (Linux ``/proc``)."""
        assert self.process is not None
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        [line] = [line for line in status.splitlines() if line.startswith("VmRSS:")]
        return int(line.split()[1]) * 1024

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc is None:
            self.close()
            return
        self.stop()
        exc.add_note(f"server log kept at {self.log}:\n{self.log_tail()}")


class ProcessGroup:
    """Processes started for a test scope; ``stop_all`` stops each by its own id."""

    def __init__(self) -> None:
        self._children: list[tuple[subprocess.Popen[bytes], int, float]] = []
        self._pid_files: list[tuple[Path, int, float]] = []

    def start(
        self,
        argv: Sequence[str | os.PathLike[str]],
        *,
        log: Path,
        stop_signal: int = signal.SIGTERM,
        stop_timeout_s: float = 15.0,
        **popen: object,
    ) -> subprocess.Popen[bytes]:
        """Start ``argv`` with its output in ``log``; it is stopped by ``stop_all``."""
        with log.open("ab") as out:
            process: subprocess.Popen[bytes] = subprocess.Popen(
                [str(part) for part in argv],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                **popen,  # type: ignore[call-overload]
            )
        self._children.append((process, stop_signal, stop_timeout_s))
        return process

    def watch_pid_file(
        self, path: Path, stop_signal: int = signal.SIGTERM, stop_timeout_s: float = 15.0
    ) -> None:
        """Also stop whatever process id ``path`` holds at ``stop_all`` time."""
        self._pid_files.append((path, stop_signal, stop_timeout_s))

    def stop(self, process: subprocess.Popen[bytes]) -> None:
        """Stop one child now, with its stop signal."""
        for child, sig, timeout_s in self._children:
            if child is process:
                stop_child(child, sig, timeout_s)

    def stop_all(self) -> None:
        """Stop every process, newest first; never raises for one already gone."""
        for path, sig, timeout_s in reversed(self._pid_files):
            with contextlib.suppress(OSError, ValueError):
                stop_pid(int(path.read_text().split()[0]), sig, timeout_s)
        for child, sig, timeout_s in reversed(self._children):
            stop_child(child, sig, timeout_s)
