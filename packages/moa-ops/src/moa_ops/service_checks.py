"""The readiness checks moa-ops ships: django-health-check :class:`HealthCheck` subclasses.

Imported on first use through :mod:`moa_ops.health` (``health.DatabaseCheck`` and so
on): django-health-check 4.8 imports dnspython and, when installed, redis as soon as
any part of it is imported, so ``import moa_ops`` and ``django.setup()`` leave it out.
"""

from __future__ import annotations

import dataclasses
import uuid

from django.core.cache import caches
from django.db import DEFAULT_DB_ALIAS, Error, connections
from health_check.base import HealthCheck
from health_check.checks import Cache, Database
from health_check.exceptions import HealthCheckException, ServiceUnavailable

from moa_ops.drain import is_draining
from moa_ops.health import _migrations_applied


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
