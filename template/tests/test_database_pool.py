"""PostgreSQL under ASGI: the production settings' connection pool caps the connections.

Each request runs its ORM code in a thread of its own, and Django's connections belong
to a thread: without a pool, as many requests in flight, as many connections. The test
serves concurrent requests that each hold a connection for a moment, with the
Dockerfile's uvicorn command under the production settings (and an overlay URLconf,
overlay.py, for the view), and samples pg_stat_activity for the database meanwhile.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import pytest
from generated import (
    free_port,
    loopback_command,
    production_env,
    server,
)
from overlay import get, overlay_env

REQUESTS = 12
HOLD_S = 0.5
POOL_MAX = 4


def peak_connections(port: int, database_url: str) -> tuple[int, list[int]]:
    """Send REQUESTS concurrent requests; the most connections seen, and the statuses."""
    import psycopg

    database = urlsplit(database_url).path.lstrip("/")
    server_url = database_url.rsplit("/", 1)[0] + "/postgres"
    peak = 0
    with (
        psycopg.connect(server_url, autocommit=True) as monitor,
        ThreadPoolExecutor(REQUESTS) as clients,
    ):
        futures = [
            clients.submit(get, port, f"/overlay/hold-database/?seconds={HOLD_S}")
            for _ in range(REQUESTS)
        ]
        deadline = time.monotonic() + 60
        while not all(future.done() for future in futures):
            assert time.monotonic() < deadline, "the requests did not finish within 60 s"
            [(count,)] = monitor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = %s", [database]
            ).fetchall()
            peak = max(peak, count)
            time.sleep(0.02)
        statuses = [future.result()[0] for future in futures]
    return peak, statuses


@pytest.mark.parametrize("pool", ["on", "off"])
def test_the_pool_caps_connections_to_postgresql(project, tmp_path, pool):
    """With the pool, 12 requests in flight use at most DJANGO_DB_POOL_MAX_SIZE connections.

    Without it (DJANGO_DB_POOL=false: the settings before the pool) the connections grow
    with the requests, which is what makes the comparison mean something.
    """
    from moa_testsupport.services import postgres_database, require_redis

    name, path, python = project
    if name != "defaults":
        pytest.skip("only database=postgresql has the pool (SQLite is left as it was)")
    require_redis()
    import django

    with postgres_database(f"moa_template_pool_{os.getpid()}") as database_url:
        env = production_env(name, tmp_path)
        env.update(
            DATABASE_URL=database_url,
            REDIS_URL=f"redis://127.0.0.1:6379/{3 + django.VERSION[0] % 3}",
            DJANGO_ALLOW_HOST_LOCAL_SERVICES="true",
            DJANGO_DB_POOL="true" if pool == "on" else "false",
            DJANGO_DB_POOL_MIN_SIZE="1",
            DJANGO_DB_POOL_MAX_SIZE=str(POOL_MAX),
        )
        env = overlay_env(path, env, tmp_path)
        port = free_port()
        with server(loopback_command(python, path, port), path, env, port):
            started = time.monotonic()
            peak, statuses = peak_connections(port, database_url)
            elapsed = time.monotonic() - started

    print(f"pool {pool}: {REQUESTS} requests, peak {peak} connections, {elapsed:.1f} s")
    assert statuses == [200] * REQUESTS
    if pool == "on":
        # At most the pool's size, and all of it: the requests did run concurrently.
        assert peak == POOL_MAX
        # Four connections for twelve half-second holds: three rounds, give or take.
        assert elapsed >= (REQUESTS / POOL_MAX) * HOLD_S * 0.9
    else:
        assert peak > POOL_MAX
