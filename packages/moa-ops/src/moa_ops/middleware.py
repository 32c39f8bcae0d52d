"""Answer probe paths before host validation and HTTPS redirects."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed

from moa_ops.probes import ASYNC_RESPONDERS, SYNC_RESPONDERS, probe_for_path

GetResponse = Callable[[HttpRequest], HttpResponse | Awaitable[HttpResponse]]


class HealthProbeMiddleware:
    """Serve ``moa_ops`` probe paths itself; put it first in ``MIDDLEWARE``.

    Only the exact paths of :mod:`moa_ops.urls` are answered, so a container
    probe on ``127.0.0.1`` or a pod IP gets 200/503 without ``ALLOWED_HOSTS``
    listing it. Every other request passes through untouched.
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
        probe = probe_for_path(request.path_info, getattr(request, "urlconf", None))
        if probe is None:
            return self.get_response(request)
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        return SYNC_RESPONDERS[probe]()

    async def __acall__(self, request: HttpRequest) -> HttpResponse:
        probe = probe_for_path(request.path_info, getattr(request, "urlconf", None))
        if probe is None:
            return await self.get_response(request)  # type: ignore[no-any-return, misc]
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        return await ASYNC_RESPONDERS[probe]()
