"""Probe URLs with checks chosen in one place: ``probe_urls(checks=...)``."""

from __future__ import annotations

import asyncio
import dataclasses

from django.urls import include, path
from health_check.base import HealthCheck
from health_check.checks import Database
from health_check.exceptions import ServiceUnavailable

from moa_ops.health import CacheCheck, DrainCheck
from moa_ops.urls import probe_urls


@dataclasses.dataclass
class AlwaysDown(HealthCheck):
    """A project's own check: the payment provider is down."""

    @property
    def name(self) -> str:
        return "payments"

    def run(self) -> None:
        raise ServiceUnavailable("payments unreachable")


@dataclasses.dataclass
class Stubborn(HealthCheck):
    """An async check that swallows its first cancellation and keeps going."""

    @property
    def name(self) -> str:
        return "stubborn"

    async def run(self) -> None:
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            await asyncio.sleep(2)


urlpatterns = [
    path(
        "",
        include(
            probe_urls(
                checks=[
                    DrainCheck,
                    (CacheCheck, {"alias": "default"}),
                    Database(),
                    "tests.urls_chosen_checks.AlwaysDown",
                ]
            )
        ),
    ),
    path("stubborn/", include((probe_urls(checks=[Stubborn])[0], "stubborn"))),
]
