"""Answer probe paths before host validation and HTTPS redirects."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed

from moa_ops.probes import ASYNC_RESPONDERS, SYNC_RESPONDERS, probe_route

GetResponse = Callable[[HttpRequest], HttpResponse | Awaitable[HttpResponse]]


class HealthProbeMiddleware:
    """Serve ``moa_ops`` probe paths itself; put it first in ``MIDDLEWARE``.

    Only the exact paths of :mod:`moa_ops.urls` are answered, so a container
    probe on ``127.0.0.1`` or a pod IP gets 200/503 without ``ALLOWED_HOSTS``
    listing it. Every other request passes through untouched. Readiness and the
    report run the ``checks`` of the view mounted at their path (see
    :func:`moa_ops.urls.probe_urls`), so the middleware and the view never differ.
    """

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response
        self.async_mode = iscoroutinefunction(get_response)
        if self.async_mode:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> HttpResponse | Awaitable[HttpResponse]:
        if self.async_mode:
            return self.__acall__(request)
        route = probe_route(request.path_info, getattr(request, "urlconf", None))
        if route is None:
            return self.get_response(request)
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        return SYNC_RESPONDERS[route.name](route.checks)

    async def __acall__(self, request: HttpRequest) -> HttpResponse:
        route = probe_route(request.path_info, getattr(request, "urlconf", None))
        if route is None:
            return await self.get_response(request)  # type: ignore[no-any-return, misc]
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        return await ASYNC_RESPONDERS[route.name](route.checks)
