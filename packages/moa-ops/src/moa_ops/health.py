"""Readiness checks, built on django-health-check's :class:`HealthCheck`.

Every check runs with a timeout. Synchronous checks run on a small private
thread pool, so a hung database or cache never blocks the server's own threads;
when a check hangs, the pool is replaced and the hung thread is abandoned, so
readiness recovers as soon as the service does.
"""

from __future__ import annotations

import asyncio
import dataclasses
import threading
import time
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.core.cache import caches
from django.db import DEFAULT_DB_ALIAS, connections
from health_check.base import HealthCheck
from health_check.exceptions import HealthCheckException, ServiceUnavailable

from moa_ops.conf import app_settings
from moa_ops.drain import is_draining

# Beyond this many abandoned (hung) threads, checks fail at once instead of
# starting more threads against a service that does not answer.
MAX_ABANDONED_THREADS = 16


@dataclasses.dataclass(frozen=True)
class CheckResult:
    """The outcome of one check: ``error`` is ``None`` when it passed."""

    name: str
    error: str | None
    time_taken_s: float

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclasses.dataclass
class DatabaseCheck(HealthCheck):
    """Run ``SELECT 1`` on a database alias over a kept-open connection.

    Raises :class:`ServiceUnavailable` when the database cannot be reached.
    """

    alias: str = DEFAULT_DB_ALIAS

    @property
    def name(self) -> str:
        return "database" if self.alias == DEFAULT_DB_ALIAS else f"database:{self.alias}"

    def run(self) -> None:
        connection = connections[self.alias]
        try:
            connection.close_if_unusable_or_obsolete()
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
                row = cursor.fetchone()
        except Exception as exc:
            # Never keep a broken connection: the next probe reconnects.
            connection.close()
            raise ServiceUnavailable(type(exc).__name__) from exc
        finally:
            # As at the end of a request: honours CONN_MAX_AGE.
            connection.close_if_unusable_or_obsolete()
        if row is None or row[0] != 1:
            raise ServiceUnavailable("SELECT 1 returned an unexpected row")


@dataclasses.dataclass
class CacheCheck(HealthCheck):
    """Write and read back a short-lived key on a cache alias.

    Raises :class:`ServiceUnavailable` when the value does not come back.
    """

    alias: str = "default"

    @property
    def name(self) -> str:
        return "cache" if self.alias == "default" else f"cache:{self.alias}"

    def run(self) -> None:
        cache = caches[self.alias]
        key = f"moa_ops:ready:{uuid.uuid4().hex}"
        try:
            cache.set(key, "1", timeout=10)
            value = cache.get(key)
            cache.delete(key)
        except Exception as exc:
            raise ServiceUnavailable(type(exc).__name__) from exc
        # A dummy cache never stores anything: it is configured not to, not down.
        backend = type(cache).__module__
        if value != "1" and not backend.endswith("cache.backends.dummy"):
            raise ServiceUnavailable("value written was not read back")


@dataclasses.dataclass
class ChannelLayerCheck(HealthCheck):
    """Send a message to a fresh channel on the default layer and receive it back.

    Raises :class:`ServiceUnavailable` when the round trip fails.
    """

    @property
    def name(self) -> str:
        return "channel_layer"

    async def run(self) -> None:
        from channels.layers import get_channel_layer

        layer = get_channel_layer()
        if layer is None:
            raise ServiceUnavailable("no channel layer is configured")
        nonce = uuid.uuid4().hex
        try:
            channel = await layer.new_channel()
            await layer.send(channel, {"type": "moa_ops.ping", "nonce": nonce})
            message = await layer.receive(channel)
        except Exception as exc:
            raise ServiceUnavailable(type(exc).__name__) from exc
        if message.get("nonce") != nonce:
            raise ServiceUnavailable("received a different message")


_migrations_applied: set[str] = set()


@dataclasses.dataclass
class MigrationsCheck(HealthCheck):
    """Fail while the database has unapplied migrations.

    Raises :class:`ServiceUnavailable` naming how many are unapplied. A passing
    result is remembered for the life of the process: code cannot gain
    migrations without a restart.
    """

    alias: str = DEFAULT_DB_ALIAS

    @property
    def name(self) -> str:
        return "migrations"

    def run(self) -> None:
        if self.alias in _migrations_applied:
            return
        from django.db.migrations.executor import MigrationExecutor

        connection = connections[self.alias]
        try:
            executor = MigrationExecutor(connection)
            plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        except Exception as exc:
            connection.close()
            raise ServiceUnavailable(type(exc).__name__) from exc
        finally:
            connection.close_if_unusable_or_obsolete()
        if plan:
            raise ServiceUnavailable(f"{len(plan)} unapplied migration(s)")
        _migrations_applied.add(self.alias)


@dataclasses.dataclass
class DrainCheck(HealthCheck):
    """Fail while the process or host is draining.

    Raises :class:`ServiceUnavailable` so load balancers stop sending traffic.
    """

    @property
    def name(self) -> str:
        return "draining"

    def run(self) -> None:
        if is_draining():
            raise ServiceUnavailable("draining")


class _Pool:
    """A thread pool that is replaced, not waited for, when a check hangs."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._executor = self._new_executor()
        self.abandoned_threads = 0

    @staticmethod
    def _new_executor() -> ThreadPoolExecutor:
        return ThreadPoolExecutor(max_workers=4, thread_name_prefix="moa-ops-check")

    @property
    def executor(self) -> ThreadPoolExecutor:
        return self._executor

    def abandon(self, executor: ThreadPoolExecutor) -> None:
        with self._lock:
            if executor is not self._executor:
                return
            self._executor = self._new_executor()
            self.abandoned_threads += len(executor._threads)
        executor.shutdown(wait=False, cancel_futures=True)


_pool = _Pool()


async def run_check(check: HealthCheck, name: str, timeout_s: float) -> CheckResult:
    """Run one check within ``timeout_s`` and report its outcome."""
    started = time.perf_counter()
    executor = _pool.executor
    error: str | None = None
    if _pool.abandoned_threads >= MAX_ABANDONED_THREADS and not asyncio.iscoroutinefunction(
        check.run
    ):
        return CheckResult(name, "too many hung checks", 0.0)
    try:
        if asyncio.iscoroutinefunction(check.run):
            await asyncio.wait_for(check.run(), timeout_s)
        else:
            loop = asyncio.get_running_loop()
            await asyncio.wait_for(
                asyncio.shield(loop.run_in_executor(executor, check.run)), timeout_s
            )
    except HealthCheckException as exc:
        error = str(exc.message)
    except TimeoutError:
        error = f"timed out after {timeout_s:g}s"
        if not asyncio.iscoroutinefunction(check.run):
            _pool.abandon(executor)
    except Exception as exc:
        # An unexpected failure: name its type, never its message (may hold secrets).
        error = f"unexpected {type(exc).__name__}"
    return CheckResult(name, error, time.perf_counter() - started)


def readiness_checks() -> list[tuple[str, HealthCheck]]:
    """Return the checks readiness runs, named, for the current settings."""
    from django.conf import settings

    named: list[tuple[str, HealthCheck]] = [("draining", DrainCheck())]
    for alias in app_settings.MOA_OPS_DATABASES:
        db_check = DatabaseCheck(alias=alias)
        named.append((db_check.name, db_check))
    for alias in app_settings.MOA_OPS_CACHES:
        cache_check = CacheCheck(alias=alias)
        named.append((cache_check.name, cache_check))
    if app_settings.MOA_OPS_CHECK_CHANNEL_LAYER and getattr(settings, "CHANNEL_LAYERS", None):
        named.append(("channel_layer", ChannelLayerCheck()))
    if app_settings.MOA_OPS_CHECK_MIGRATIONS and settings.DATABASES:
        named.append(("migrations", MigrationsCheck()))
    return named


async def run_checks(
    checks: Sequence[tuple[str, HealthCheck]] | None = None,
) -> list[CheckResult]:
    """Run ``checks`` (default: :func:`readiness_checks`) concurrently."""
    if checks is None:
        checks = readiness_checks()
    timeout_s = app_settings.MOA_OPS_CHECK_TIMEOUT
    return list(
        await asyncio.gather(*(run_check(check, name, timeout_s) for name, check in checks))
    )


def report(results: Sequence[CheckResult], *, detailed: bool = False) -> dict[str, Any]:
    """Build the JSON body: ``{"status": ..., "checks": {...}}``."""
    checks: dict[str, Any] = {}
    for result in results:
        summary = "ok" if result.ok else result.error
        if detailed:
            checks[result.name] = {
                "status": summary,
                "time_ms": round(result.time_taken_s * 1000, 2),
            }
        else:
            checks[result.name] = summary
    failing = [result.name for result in results if not result.ok]
    if not failing:
        status = "ok"
    elif failing == ["draining"]:
        status = "draining"
    else:
        status = "unavailable"
    body: dict[str, Any] = {"status": status, "checks": checks}
    if failing:
        body["failing"] = failing
    return body
