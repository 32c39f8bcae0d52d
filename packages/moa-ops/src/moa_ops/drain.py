"""Drain state: while draining, readiness answers 503 and the process keeps serving.

Two sources, so that both single- and multi-process servers work: a flag in this
process (:func:`begin_drain`) and a drain file shared by every process on the
host (``MOA_OPS_DRAIN_FILE``, written by ``manage.py drain``).
"""

from __future__ import annotations

import contextlib
import os
import stat
import threading
from pathlib import Path

from moa_ops.conf import app_settings, private_run_dir

_lock = threading.Lock()
_process_draining = False


def is_draining() -> bool:
    """Return whether this process, or the host through the drain file, is draining."""
    if _process_draining:
        return True
    drain_file = app_settings.MOA_OPS_DRAIN_FILE
    return drain_file is not None and drain_file.exists()


def begin_drain(*, write_file: bool = False) -> None:
    """Flip readiness to 503 in this process (and for the host with ``write_file``)."""
    global _process_draining
    if write_file:
        drain_file = app_settings.MOA_OPS_DRAIN_FILE
        if drain_file is not None:
            write_drain_file(drain_file)
    with _lock:
        _process_draining = True


def end_drain(*, remove_file: bool = False) -> None:
    """Make this process (and the host with ``remove_file``) ready again."""
    global _process_draining
    with _lock:
        _process_draining = False
    if remove_file:
        drain_file = app_settings.MOA_OPS_DRAIN_FILE
        if drain_file is not None:
            drain_file.unlink(missing_ok=True)


def write_drain_file(drain_file: Path) -> None:
    """Create ``drain_file`` without following a link that someone planted there.

    The default file's directory is created private (0700) and must stay owned by
    this user and closed to others; ``OSError`` says why it cannot be used.
    """
    if drain_file.parent == private_run_dir():
        ensure_private_dir(drain_file.parent)
    else:
        drain_file.parent.mkdir(parents=True, exist_ok=True)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
    try:
        os.close(os.open(drain_file, flags, 0o600))
    except FileExistsError:
        if drain_file.is_symlink() or not drain_file.is_file():
            raise OSError(f"{str(drain_file)!r} exists and is not a regular file") from None


def ensure_private_dir(directory: Path) -> None:
    """Create ``directory`` as 0700, or check that it is this user's and closed to others."""
    with contextlib.suppress(FileExistsError):
        os.mkdir(directory, 0o700)
    info = os.lstat(directory)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
        raise OSError(f"{str(directory)!r} is not a directory of this user")
    if info.st_mode & 0o077:
        raise OSError(f"{str(directory)!r} is open to other users (mode {info.st_mode & 0o777:o})")
