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
import inspect
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, TypeAlias

from django.utils.module_loading import import_string

from moa_ops.conf import app_settings

if TYPE_CHECKING:
    from health_check.base import HealthCheck, HealthCheckResult

    from moa_ops.service_checks import (
        CacheCheck,
        ChannelLayerCheck,
        DatabaseCheck,
        DrainCheck,
        MigrationsCheck,
    )

__all__ = [
    "MAX_ABANDONED_THREADS",
    "CacheCheck",
    "ChannelLayerCheck",
    "CheckSpec",
    "Checks",
    "DatabaseCheck",
    "DrainCheck",
    "MigrationsCheck",
    "build_checks",
    "check_name",
    "default_checks",
    "report",
    "run_check",
    "run_checks",
]

_SERVICE_CHECKS = frozenset(
    {"CacheCheck", "ChannelLayerCheck", "DatabaseCheck", "DrainCheck", "MigrationsCheck"}
)


def __getattr__(name: str) -> Any:
    # The check classes load django-health-check, and with it dnspython and redis:
    # only when a probe or a caller first needs them.
    if name in _SERVICE_CHECKS:
        from moa_ops import service_checks

        return getattr(service_checks, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


#: Databases whose migrations were found applied (see :class:`MigrationsCheck`).
_migrations_applied: set[str] = set()

# Beyond this many abandoned (hung) threads, checks fail at once instead of
# starting more threads against a service that does not answer.
MAX_ABANDONED_THREADS = 16

#: What ``checks=`` accepts, as django-health-check's ``HealthCheckView.checks`` does:
#: a check instance, a class or its dotted path, or ``(class or path, kwargs)``.
CheckSpec: TypeAlias = "HealthCheck | type[HealthCheck] | str | tuple[Any, Mapping[str, Any]]"
#: A sequence of specs, or a function returning one (called on every probe).
Checks: TypeAlias = "Sequence[CheckSpec] | Callable[[], Iterable[CheckSpec]]"


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

    from moa_ops.service_checks import (
        CacheCheck,
        ChannelLayerCheck,
        DatabaseCheck,
        DrainCheck,
        MigrationsCheck,
    )

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
    from health_check.base import HealthCheck

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
    from health_check.base import HealthCheckResult
    from health_check.exceptions import ServiceUnavailable

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
    from moa_ops.service_checks import DrainCheck

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
