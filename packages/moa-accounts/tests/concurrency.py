"""Race transactions against each other: threads with their own database connections."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections


def requires_concurrent_database() -> None:
    """Skip on SQLite, which serializes writers: races need PostgreSQL or MariaDB."""
    if connection.vendor == "sqlite":
        pytest.skip("needs real concurrent transactions (PostgreSQL or MariaDB)")


def run_in_threads(*targets: Callable[[], Any], timeout_s: float = 30) -> list[Any]:
    """Run each target in its own thread (own connection); return results or errors."""
    results: list[Any] = [None] * len(targets)

    def wrap(index: int, target: Callable[[], Any]) -> None:
        try:
            results[index] = target()
        except BaseException as error:  # reported to the test, not swallowed
            results[index] = error
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=wrap, args=(i, t), daemon=True) for i, t in enumerate(targets)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout_s)
        assert not thread.is_alive(), "a racing thread did not finish in time"
    return results
