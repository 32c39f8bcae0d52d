"""Readiness checks against real failures: unapplied migrations, dead and hung services."""

from __future__ import annotations

import asyncio
import time

import pytest
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.test import Client, override_settings

from moa_ops import health
from moa_testsupport.services import require_redis

from .conftest import silent_server


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
    """A check failing in an unexpected way reports its type, not its message."""

    class Leaky(health.DrainCheck):
        def run(self) -> None:
            raise RuntimeError("password=hunter2")

    result = asyncio.run(health.run_check(Leaky(), "leaky", 1.0))
    assert result.error == "unexpected RuntimeError"


def test_report_shapes() -> None:
    """The report names failing checks and distinguishes draining from down."""
    ok = health.CheckResult("database", None, 0.001)
    down = health.CheckResult("cache", "ConnectionError", 0.002)
    draining = health.CheckResult("draining", "draining", 0.0)
    assert health.report([ok]) == {"status": "ok", "checks": {"database": "ok"}}
    assert health.report([ok, draining])["status"] == "draining"
    body = health.report([ok, down, draining])
    assert body["status"] == "unavailable"
    assert body["failing"] == ["cache", "draining"]
