"""Skip, or fail, tests whose real service is not running."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager

import pytest


def services_required() -> bool:
    """Return whether a missing service must fail the run (CI sets it)."""
    return os.environ.get("MOA_REQUIRE_SERVICES", "") == "1"


def service_available(host: str, port: int, timeout_s: float = 1.0) -> bool:
    """Return whether something accepts TCP connections at ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return True
    except OSError:
        return False


def require_service(name: str, host: str = "127.0.0.1", port: int = 0) -> None:
    """Skip the calling test when ``name`` is not reachable.

    With ``MOA_REQUIRE_SERVICES=1`` the test fails instead, so CI can never
    pass by skipping what it was meant to exercise.
    """
    if service_available(host, port):
        return
    message = f"{name} is not reachable at {host}:{port}"
    if services_required():
        pytest.fail(message + " and MOA_REQUIRE_SERVICES=1", pytrace=False)
    pytest.skip(message)


def require_redis(port: int = 6379) -> str:
    """Require the local Redis and return its URL."""
    require_service("Redis", "127.0.0.1", port)
    return f"redis://127.0.0.1:{port}/0"


@contextmanager
def postgres_database(name: str, port: int = 5432) -> Iterator[str]:
    """Create the empty PostgreSQL database ``name`` on 127.0.0.1; yield its URL; drop it.

    Requires the local PostgreSQL (trust authentication for ``postgres``) and psycopg.
    """
    import psycopg

    require_service("PostgreSQL", "127.0.0.1", port)
    server = f"postgres://postgres@127.0.0.1:{port}/postgres"
    with psycopg.connect(server, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgres://postgres@127.0.0.1:{port}/{name}"
    finally:
        with psycopg.connect(server, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
