"""Readiness checks against real failures: unapplied migrations, dead and hung services."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from asgiref.sync import ThreadSensitiveContext
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.test import Client, override_settings
from health_check.base import HealthCheck, HealthCheckResult
from health_check.exceptions import ServiceUnavailable

from moa_ops import health
from moa_testsupport.services import require_redis

from .hung_server import silent_server


@pytest.mark.django_db(transaction=True)
def test_unapplied_migrations_fail_readiness(client: Client) -> None:
    """A database missing a migration makes readiness 503 naming migrations."""
    recorder = MigrationRecorder(connection)
    recorder.record_unapplied("auth", "0012_alter_user_first_name_max_length")
    try:
        response = client.get("/health/ready/")
        assert response.status_code == 503
        body = response.json()
        assert body["failing"] == ["migrations"]
        assert body["checks"]["migrations"] == "1 unapplied migration(s)"
    finally:
        recorder.record_applied("auth", "0012_alter_user_first_name_max_length")
    health._migrations_applied.clear()
    assert client.get("/health/ready/").status_code == 200


@pytest.mark.django_db
def test_dead_cache_fails_readiness_fast(client: Client) -> None:
    """A Redis cache on a port where nothing listens: 503 naming the cache."""
    caches = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    with override_settings(CACHES=caches):
        response = client.get("/health/ready/")
    assert response.status_code == 503
    assert response.json()["failing"] == ["cache"]
    assert response.json()["checks"]["cache"] == "ConnectionError"


@pytest.mark.django_db
def test_hung_cache_times_out(client: Client) -> None:
    """A cache that accepts and never answers fails within the check timeout."""
    with silent_server() as port:
        caches = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": f"redis://127.0.0.1:{port}/0",
            }
        }
        with override_settings(CACHES=caches, MOA_OPS_CHECK_TIMEOUT=0.5):
            started = time.monotonic()
            response = client.get("/health/ready/")
            elapsed = time.monotonic() - started
    assert response.status_code == 503
    assert response.json()["checks"]["cache"] == "timed out after 0.5s"
    # Not a speed test: it proves the probe does not hang on the service.
    assert elapsed < 10


@pytest.mark.django_db
def test_readiness_recovers_after_a_hang(client: Client) -> None:
    """After a hung check the pool is replaced, so readiness passes again."""
    with silent_server() as port:
        caches = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": f"redis://127.0.0.1:{port}/0",
            }
        }
        with override_settings(CACHES=caches, MOA_OPS_CHECK_TIMEOUT=0.3):
            assert client.get("/health/ready/").status_code == 503
    assert client.get("/health/ready/").status_code == 200


@pytest.mark.django_db
def test_real_redis_cache_and_channel_layer(client: Client) -> None:
    """With real Redis for the cache and the channel layer, readiness passes."""
    url = require_redis()
    settings = {
        "CACHES": {
            "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
        },
        "CHANNEL_LAYERS": {
            "default": {
                "BACKEND": "channels_redis.core.RedisChannelLayer",
                "CONFIG": {"hosts": [url]},
            }
        },
    }
    with override_settings(**settings):
        response = client.get("/health/ready/")
    assert response.status_code == 200, response.json()
    assert response.json()["checks"]["channel_layer"] == "ok"


@pytest.mark.django_db
def test_unreachable_channel_layer_fails_readiness(client: Client) -> None:
    """A Redis channel layer that cannot be reached: 503 naming the channel layer."""
    layers = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]},
        }
    }
    with override_settings(CHANNEL_LAYERS=layers):
        response = client.get("/health/ready/")
    assert response.status_code == 503
    assert response.json()["failing"] == ["channel_layer"]


@pytest.mark.django_db
def test_channel_layer_check_can_be_switched_off(client: Client) -> None:
    """``MOA_OPS_CHECK_CHANNEL_LAYER = False`` leaves the layer out of readiness."""
    with override_settings(MOA_OPS_CHECK_CHANNEL_LAYER=False):
        assert "channel_layer" not in client.get("/health/ready/").json()["checks"]


def test_unexpected_errors_do_not_leak_messages() -> None:
    """A check failing in an unexpected way reports django-health-check's fixed text."""

    class Leaky(health.DrainCheck):
        def run(self) -> None:
            raise RuntimeError("password=hunter2")

    result = asyncio.run(health.run_check(Leaky(), 1.0))
    assert result.error is not None
    assert str(result.error.message) == "unknown error"
    assert "hunter2" not in json.dumps(health.report([result]))


def test_report_shapes() -> None:
    """The report names failing checks and distinguishes draining from down."""
    ok = HealthCheckResult(health.DatabaseCheck(), None, 0.001)
    down = HealthCheckResult(health.CacheCheck(), ServiceUnavailable("ConnectionError"), 0.002)
    draining = HealthCheckResult(health.DrainCheck(), ServiceUnavailable("draining"), 0.0)
    assert health.report([ok]) == {"status": "ok", "checks": {"database": "ok"}}
    assert health.report([ok, draining])["status"] == "draining"
    body = health.report([ok, down, draining])
    assert body["status"] == "unavailable"
    assert body["failing"] == ["cache", "draining"]
    assert body["checks"]["cache"] == "ConnectionError"


def hung_cache_settings(port: int) -> dict[str, object]:
    return {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": f"redis://127.0.0.1:{port}/0",
        # Hung for as long as the server is up (redis-py would give up after 5 s).
        "OPTIONS": {"socket_timeout": 60},
    }


async def run_concurrently(count: int, check: HealthCheck, timeout_s: float) -> list[str]:
    results = await asyncio.gather(*(health.run_check(check, timeout_s) for _ in range(count)))
    return ["ok" if r.error is None else str(r.error.message) for r in results]


def test_readiness_recovers_after_many_hangs() -> None:
    """Hang after hang fills pool after pool; once the service answers, checks pass again."""
    with silent_server() as port:
        caches = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
        caches["hung"] = hung_cache_settings(port)
        with override_settings(CACHES=caches):
            for _ in range(health.MAX_ABANDONED_THREADS // 4 + 1):
                outcome = asyncio.run(run_concurrently(4, health.CacheCheck(alias="hung"), 0.2))
                assert set(outcome) <= {"timed out after 0.2s", "too many hung checks"}
    # The silent server is gone: the hung threads fail and end.
    deadline = time.monotonic() + 20
    while True:
        [outcome] = asyncio.run(run_concurrently(1, health.CacheCheck(), 2.0))
        if outcome == "ok" or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert outcome == "ok"


def test_a_hung_cache_does_not_hold_the_request_open() -> None:
    """The request's thread-sensitive context (Django's ASGI handler) ends despite the hang.

    django-health-check's own ``Cache`` calls the cache through ``sync_to_async`` in that
    context, so the request could not end until the hung call did; ``CacheCheck`` runs
    on moa-ops' abandoned pool instead.
    """

    async def request() -> list[str]:
        async with ThreadSensitiveContext():
            return await run_concurrently(2, health.CacheCheck(alias="hung"), 0.2)

    with silent_server() as port:
        caches = {
            "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
            "hung": hung_cache_settings(port),
        }
        with override_settings(CACHES=caches):
            # Bounded well below the hung call, which lasts as long as the server is up.
            outcome = asyncio.run(asyncio.wait_for(request(), 5))
    assert outcome == ["timed out after 0.2s"] * 2


def test_database_check_keeps_health_checks_fixed_messages() -> None:
    """An alias that is not configured: django-health-check's own fixed message."""
    [outcome] = asyncio.run(run_concurrently(1, health.DatabaseCheck(alias="missing"), 2.0))
    assert outcome == "Database alias does not exist"
