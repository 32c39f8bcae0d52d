"""Start processes, remember their ids, stop each by its id."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path


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
            process = subprocess.Popen(
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


def stop_child(child: subprocess.Popen[bytes], sig: int, timeout_s: float) -> None:
    """Stop a child process by its id and reap it."""
    if child.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        child.send_signal(sig)
    try:
        child.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait(timeout=5)
