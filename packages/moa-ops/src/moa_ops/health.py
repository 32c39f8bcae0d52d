"""Readiness checks, built on django-health-check's :class:`HealthCheck`.

Checks are passed to the views (``checks=``); :func:`default_checks` is what
runs otherwise. Every check runs through django-health-check's own
:meth:`HealthCheck.get_result`, bounded by ``MOA_OPS_CHECK_TIMEOUT``.
Synchronous checks run on a small private thread pool, so a hung database or
cache never blocks the server's own threads; when a check hangs, the pool is
replaced and the hung thread is abandoned, so readiness recovers as soon as the
service does.
"""

from __future__ import annotations

import asyncio
import dataclasses
import inspect
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeAlias

from django.core.cache import caches
from django.db import DEFAULT_DB_ALIAS, Error, connections
from django.utils.module_loading import import_string
from health_check.base import HealthCheck, HealthCheckResult
from health_check.checks import Cache, Database
from health_check.exceptions import HealthCheckException, ServiceUnavailable

from moa_ops.conf import app_settings
from moa_ops.drain import is_draining

# Beyond this many abandoned (hung) threads, checks fail at once instead of
# starting more threads against a service that does not answer.
MAX_ABANDONED_THREADS = 16

#: What ``checks=`` accepts, as django-health-check's ``HealthCheckView.checks`` does:
#: a check instance, a class or its dotted path, or ``(class or path, kwargs)``.
CheckSpec: TypeAlias = HealthCheck | type[HealthCheck] | str | tuple[Any, Mapping[str, Any]]
#: A sequence of specs, or a function returning one (called on every probe).
Checks: TypeAlias = Sequence[CheckSpec] | Callable[[], Iterable[CheckSpec]]


@dataclasses.dataclass
class DatabaseCheck(Database):
    """Run django-health-check's ``SELECT 1`` on a database alias.

    Raises :class:`ServiceUnavailable` naming only the database error's type: the
    driver's message may hold host names.
    """

    @property
    def name(self) -> str:
        return "database" if self.alias == DEFAULT_DB_ALIAS else f"database:{self.alias}"

    def run(self) -> None:
        try:
            super().run()
        except HealthCheckException as exc:
            cause = exc.__cause__
            if isinstance(cause, Error):
                raise ServiceUnavailable(type(cause).__name__) from cause
            raise


@dataclasses.dataclass
class CacheCheck(Cache):
    """Write and read back a short-lived key on a cache alias.

    Raises :class:`ServiceUnavailable` when the value does not come back. Unlike
    django-health-check's ``Cache``, it calls the cache synchronously, so a hung
    cache holds a thread of moa-ops' pool (which is abandoned) rather than one of
    the event loop's default executor; and a dummy cache passes.
    """

    key_prefix: str = dataclasses.field(default="moa_ops:ready", repr=False)

    @property
    def name(self) -> str:
        return "cache" if self.alias == "default" else f"cache:{self.alias}"

    def run(self) -> None:
        cache = caches[self.alias]
        key = f"{self.key_prefix}:{uuid.uuid4().hex}"
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


def default_checks() -> tuple[HealthCheck, ...]:
    """Return the checks readiness runs when no ``checks=`` is given.

    :class:`DrainCheck`; a :class:`DatabaseCheck` per ``DATABASES`` alias; a
    :class:`CacheCheck` per ``CACHES`` alias; :class:`ChannelLayerCheck` when
    ``CHANNEL_LAYERS`` is set; :class:`MigrationsCheck` when ``DATABASES`` is.
    The deprecated ``MOA_OPS_DATABASES``, ``MOA_OPS_CACHES``,
    ``MOA_OPS_CHECK_CHANNEL_LAYER`` and ``MOA_OPS_CHECK_MIGRATIONS`` still narrow
    this selection while they are set.
    """
    from django.conf import settings

    checks: list[HealthCheck] = [DrainCheck()]
    checks += [DatabaseCheck(alias=alias) for alias in app_settings.MOA_OPS_DATABASES]
    checks += [CacheCheck(alias=alias) for alias in app_settings.MOA_OPS_CACHES]
    if app_settings.MOA_OPS_CHECK_CHANNEL_LAYER and getattr(settings, "CHANNEL_LAYERS", None):
        checks.append(ChannelLayerCheck())
    if app_settings.MOA_OPS_CHECK_MIGRATIONS and settings.DATABASES:
        checks.append(MigrationsCheck())
    return tuple(checks)


def build_checks(checks: Checks | None = None) -> list[HealthCheck]:
    """Instantiate ``checks`` (default: :func:`default_checks`) for one probe."""
    if checks is None:
        return list(default_checks())
    built: list[HealthCheck] = []
    for spec in checks() if callable(checks) else checks:
        if isinstance(spec, HealthCheck):
            built.append(spec)
            continue
        factory, options = spec if isinstance(spec, tuple) else (spec, {})
        if isinstance(factory, str):
            factory = import_string(factory)
        built.append(factory(**options))
    return built


def check_name(check: HealthCheck) -> str:
    """Return the key of ``check`` in the report: its ``name``, else its ``repr()``."""
    name = getattr(check, "name", None)
    return name if isinstance(name, str) else repr(check)


class _Pool:
    """A thread pool that is replaced, not waited for, when a check hangs."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._executor = self._new_executor()
        self._abandoned: list[threading.Thread] = []

    @staticmethod
    def _new_executor() -> ThreadPoolExecutor:
        return ThreadPoolExecutor(max_workers=4, thread_name_prefix="moa-ops-check")

    @property
    def executor(self) -> ThreadPoolExecutor:
        return self._executor

    @property
    def abandoned_threads(self) -> int:
        """How many abandoned threads still hang: those that returned no longer count."""
        with self._lock:
            self._abandoned = [thread for thread in self._abandoned if thread.is_alive()]
            return len(self._abandoned)

    def abandon(self, executor: ThreadPoolExecutor) -> None:
        with self._lock:
            if executor is not self._executor:
                return
            self._executor = self._new_executor()
            self._abandoned += list(executor._threads)
        executor.shutdown(wait=False, cancel_futures=True)


_pool = _Pool()


def _failed(check: HealthCheck, message: str, started: float) -> HealthCheckResult:
    return HealthCheckResult(
        check=check, error=ServiceUnavailable(message), time_taken=time.perf_counter() - started
    )


async def run_check(check: HealthCheck, timeout_s: float) -> HealthCheckResult:
    """Run one check through its ``get_result()``, abandoned after ``timeout_s``.

    django-health-check bounds a check by its own ``timeout`` (plus one second);
    whichever bound is shorter applies. On moa-ops' bound a synchronous check's
    thread is abandoned with its pool, so the next probe gets fresh threads.
    """
    started = time.perf_counter()
    is_sync = not inspect.iscoroutinefunction(check.run)
    if is_sync and _pool.abandoned_threads >= MAX_ABANDONED_THREADS:
        return _failed(check, "too many hung checks", started)
    executor = _pool.executor
    # Shielded: a check that ignores cancellation cannot hold the answer back.
    task = asyncio.ensure_future(check.get_result(executor))
    try:
        return await asyncio.wait_for(asyncio.shield(task), timeout_s)
    except TimeoutError:
        task.cancel()
        if is_sync:
            _pool.abandon(executor)
        return _failed(check, f"timed out after {timeout_s:g}s", started)


async def run_checks(checks: Checks | None = None) -> list[HealthCheckResult]:
    """Run ``checks`` (default: :func:`default_checks`) concurrently."""
    timeout_s = app_settings.MOA_OPS_CHECK_TIMEOUT
    return list(
        await asyncio.gather(*(run_check(check, timeout_s) for check in build_checks(checks)))
    )


def report(results: Sequence[HealthCheckResult], *, detailed: bool = False) -> dict[str, Any]:
    """Build the JSON body: ``{"status": ..., "checks": {...}}``."""
    checks: dict[str, Any] = {}
    failing: list[str] = []
    for result in results:
        name = check_name(result.check)
        summary = "ok" if result.error is None else str(result.error.message)
        if result.error is not None:
            failing.append(name)
        if detailed:
            checks[name] = {"status": summary, "time_ms": round(result.time_taken * 1000, 2)}
        else:
            checks[name] = summary
    drain_only = all(
        isinstance(result.check, DrainCheck) for result in results if result.error is not None
    )
    status = "ok" if not failing else "draining" if drain_only else "unavailable"
    body: dict[str, Any] = {"status": status, "checks": checks}
    if failing:
        body["failing"] = failing
    return body
