from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.cache import cache

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
