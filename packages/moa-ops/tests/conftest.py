from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from moa_ops import health

from .live import migrate, server_env, uvicorn_server


@pytest.fixture(autouse=True)
def _fresh_check_state() -> Iterator[None]:
    """Each test starts with no remembered migration state and no drain."""
    from moa_ops import drain

    health._migrations_applied.clear()
    drain.end_drain()
    yield
    drain.end_drain()


@pytest.fixture
def run_server(tmp_path: Path) -> Callable[..., object]:
    """Start a uvicorn server on ``settings`` (``tests.settings``) plus ``values``.

    Its database is an SQLite file in ``tmp_path``, migrated unless ``migrated=False``,
    or the one ``database_url`` names.
    """

    def start(
        settings: str = "tests.settings",
        *,
        migrated: bool = True,
        database_url: str | None = None,
        **values: object,
    ) -> object:
        env = server_env(tmp_path, settings, database_url=database_url, **values)
        if migrated:
            migrate(env)
        return uvicorn_server(env)

    return start
