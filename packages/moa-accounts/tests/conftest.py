from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection, connections

from moa_accounts.models import User


@pytest.fixture(autouse=True)
def empty_login_counters() -> None:
    """Each test starts with no failed logins counted (all come from 127.0.0.1)."""
    cache.clear()


@pytest.fixture
def make_user(db: None) -> Callable[..., User]:
    counter = iter(range(1_000_000))

    def make(username: str | None = None, email: str | None = None, **extra: Any) -> User:
        number = next(counter)
        username = username or f"user{number}"
        email = email or f"{username}@example.com"
        return User.objects.create_user(username, email, "pw", **extra)  # type: ignore[no-any-return]

    return make


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
