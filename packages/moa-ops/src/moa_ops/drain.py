"""Drain state: while draining, readiness answers 503 and the process keeps serving.

Two sources, so that both single- and multi-process servers work: a flag in this
process (:func:`begin_drain`) and a drain file shared by every process on the
host (``MOA_OPS_DRAIN_FILE``, written by ``manage.py drain``).
"""

from __future__ import annotations

import threading

from moa_ops.conf import app_settings

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
            drain_file.parent.mkdir(parents=True, exist_ok=True)
            drain_file.touch()
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
