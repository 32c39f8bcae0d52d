"""Readiness checks chosen with ``checks=``: one place for the view and the middleware."""

from __future__ import annotations

import json
import time

import pytest
from django.test import AsyncClient, Client, RequestFactory, override_settings

from moa_ops import health
from moa_ops.views import ReadinessView

from .urls_chosen_checks import AlwaysDown

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.urls_chosen_checks")]

CHOSEN = {
    "draining": "ok",
    "cache": "ok",
    "Database(alias='default')": "ok",
    "payments": "payments unreachable",
}


@pytest.mark.parametrize("host", ["testserver", "127.0.0.1"])
def test_view_and_middleware_run_the_chosen_checks(client: Client, host: str) -> None:
    """The view (allowed host) and the middleware (any host) answer the same checks."""
    response = client.get("/health/ready/", HTTP_HOST=host)
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "checks": CHOSEN, "failing": ["payments"]}


async def test_async_middleware_runs_the_chosen_checks(async_client: AsyncClient) -> None:
    """Under ASGI the middleware runs the checks of the view mounted at the path."""
    response = await async_client.get("/health/", headers={"host": "10.1.2.3"})
    assert response.status_code == 503
    assert set(response.json()["checks"]) == set(CHOSEN)


def test_without_middleware_the_views_run_them(client: Client) -> None:
    """Without the middleware the views themselves run the chosen checks."""
    with override_settings(MIDDLEWARE=["django.middleware.common.CommonMiddleware"]):
        ready = client.get("/health/ready/")
        report = client.get("/health/")
        refused = client.post("/health/ready/")
    assert ready.json()["checks"] == CHOSEN
    assert "no-store" in ready["Cache-Control"]
    assert report.json()["checks"]["payments"]["status"] == "payments unreachable"
    assert (refused.status_code, refused["Allow"]) == (405, "GET, HEAD")


def test_drain_still_flips_chosen_checks(client: Client) -> None:
    """Draining answers 503 whichever checks are chosen, as long as DrainCheck is one."""
    from moa_ops import drain

    drain.begin_drain()
    body = client.get("/health/ready/", HTTP_HOST="127.0.0.1").json()
    assert body["checks"]["draining"] == "draining"
    assert body["failing"] == ["draining", "payments"]


def test_a_check_that_ignores_cancellation_cannot_hold_the_answer(client: Client) -> None:
    """An async check that swallows cancellation still fails on time, not after it."""
    with override_settings(MOA_OPS_CHECK_TIMEOUT=0.2):
        started = time.monotonic()
        response = client.get("/stubborn/health/ready/")
        elapsed = time.monotonic() - started
    assert response.json()["checks"] == {"stubborn": "timed out after 0.2s"}
    # Not a speed test: the check itself would take 2 s more after being cancelled.
    assert elapsed < 2


async def test_checks_may_be_a_function() -> None:
    """``checks=`` may be a function, called on each probe: the defaults plus one more."""
    view = ReadinessView.as_view(checks=lambda: [*health.default_checks(), AlwaysDown])
    response = await view(RequestFactory().get("/health/ready/"))
    assert response.status_code == 503
    assert json.loads(response.content)["failing"] == ["payments"]


def test_default_checks_follow_settings() -> None:
    """The default is one check per database and cache alias, layer and migrations."""
    caches = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "sessions": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    }
    with override_settings(CACHES=caches):
        names = [health.check_name(check) for check in health.default_checks()]
    assert names == [
        "draining",
        "database",
        "cache",
        "cache:sessions",
        "channel_layer",
        "migrations",
    ]
