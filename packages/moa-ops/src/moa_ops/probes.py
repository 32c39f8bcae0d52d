"""The probe endpoints' responses, shared by the views and the middleware.

Nothing here reads the request's Host header, so a probe addressed to
127.0.0.1, a pod IP or a container name gets the same answer as any other.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import threading
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from django.http import HttpResponse, JsonResponse
from django.urls import NoReverseMatch, get_script_prefix, resolve, reverse

from moa_ops.conf import app_settings
from moa_ops.health import Checks, report, run_checks

PROBE_NAMES = ("live", "ready", "health")


def _json(body: dict[str, Any], status: int) -> HttpResponse:
    response = JsonResponse(body, status=status)
    response["Cache-Control"] = "no-store"
    # Answered before CommonMiddleware, which would otherwise add it.
    response["Content-Length"] = str(len(response.content))
    return response


def live_response() -> HttpResponse:
    """Answer that the process serves requests; touch no database or cache."""
    return _json({"status": "ok"}, 200)


async def aready_response(checks: Checks | None = None) -> HttpResponse:
    """Answer 200 when every readiness check passes, else 503 naming the failures."""
    body = report(await run_checks(checks))
    return _json(body, 200 if body["status"] == "ok" else 503)


async def ahealth_response(checks: Checks | None = None) -> HttpResponse:
    """Answer the full report, with each check's time, 200 or 503."""
    body = report(await run_checks(checks), detailed=True)
    return _json(body, 200 if body["status"] == "ok" else 503)


class _ProbeLoop:
    """One long-lived event loop for probes served by sync (WSGI) stacks.

    A fresh loop per request would strand the channel layer's Redis
    connections on closed loops; this one lives as long as the process.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None

    def _get_loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                thread = threading.Thread(
                    target=loop.run_forever, name="moa-ops-probe-loop", daemon=True
                )
                thread.start()
                self._loop = loop
            return self._loop

    def run(self, coroutine: Coroutine[Any, Any, HttpResponse]) -> HttpResponse:
        future = asyncio.run_coroutine_threadsafe(coroutine, self._get_loop())
        # Every check has its own timeout; this only guards against a bug there.
        return future.result(timeout=app_settings.MOA_OPS_CHECK_TIMEOUT + 30)


_probe_loop = _ProbeLoop()


def ready_response(checks: Checks | None = None) -> HttpResponse:
    return _probe_loop.run(aready_response(checks))


def health_response(checks: Checks | None = None) -> HttpResponse:
    return _probe_loop.run(ahealth_response(checks))


def _live_response(checks: Checks | None = None) -> HttpResponse:
    return live_response()


SYNC_RESPONDERS: dict[str, Callable[[Checks | None], HttpResponse]] = {
    "live": _live_response,
    "ready": ready_response,
    "health": health_response,
}


async def _alive_response(checks: Checks | None = None) -> HttpResponse:
    return live_response()


ASYNC_RESPONDERS: dict[str, Callable[[Checks | None], Awaitable[HttpResponse]]] = {
    "live": _alive_response,
    "ready": aready_response,
    "health": ahealth_response,
}


@dataclasses.dataclass(frozen=True)
class ProbeRoute:
    """A probe path: which probe it is and the ``checks`` of the view mounted there."""

    name: str
    checks: Checks | None = None


def find_probe_routes(urlconf: str | None) -> dict[str, ProbeRoute]:
    """Return the probe paths of ``urlconf`` (without script prefix), read afresh."""
    routes: dict[str, ProbeRoute] = {}
    prefix = get_script_prefix()
    for name in PROBE_NAMES:
        try:
            url = reverse(f"moa_ops:{name}", urlconf=urlconf)
        except NoReverseMatch:
            continue
        # reverse() adds the script prefix; request.path_info never has it.
        path = "/" + url.removeprefix(prefix)
        # The middleware answers with the checks of the view it stands in for.
        view = resolve(path, urlconf=urlconf).func
        initkwargs = getattr(view, "view_initkwargs", {})
        default = getattr(getattr(view, "view_class", None), "checks", None)
        routes[path] = ProbeRoute(name, initkwargs.get("checks", default))
    return routes


_probe_routes = functools.cache(find_probe_routes)


def probe_route(path_info: str, urlconf: str | None = None) -> ProbeRoute | None:
    """Return the probe answering ``path_info``, or ``None`` if it is no probe path."""
    from django.conf import settings

    return _probe_routes(urlconf or settings.ROOT_URLCONF).get(path_info)


def probe_for_path(path_info: str, urlconf: str | None = None) -> str | None:
    """Return ``live``, ``ready`` or ``health`` if ``path_info`` is a probe path."""
    route = probe_route(path_info, urlconf)
    return None if route is None else route.name


def reset_probe_paths(*, setting: str = "", **kwargs: object) -> None:
    """Forget the probe paths when the URL configuration changes."""
    if setting in ("ROOT_URLCONF", "") or setting.startswith("MOA_OPS_"):
        _probe_routes.cache_clear()
