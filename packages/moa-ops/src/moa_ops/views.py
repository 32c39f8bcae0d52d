"""Views for ``health/live/``, ``health/ready/`` and ``health/``.

Mounted through :mod:`moa_ops.urls`; :class:`~moa_ops.middleware.HealthProbeMiddleware`
answers the same paths earlier, before host validation and HTTPS redirects, with
the same ``checks``.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from moa_ops.health import Checks
from moa_ops.probes import ahealth_response, aready_response, live_response


@never_cache
@require_safe
def live(request: HttpRequest) -> HttpResponse:
    """Answer 200 while the process serves; touch nothing else."""
    return live_response()


class ProbeView(View):
    """Base of the views that run checks: ``ReadinessView.as_view(checks=[...])``.

    ``checks`` takes what django-health-check's ``HealthCheckView.checks`` takes
    (check classes, dotted paths, ``(class, kwargs)`` pairs) and check instances,
    or a function returning them; ``None`` runs :func:`moa_ops.health.default_checks`.
    """

    http_method_names = ["get", "head"]
    checks: Checks | None = None

    @classmethod
    def as_view(cls, **initkwargs: Any) -> Any:
        return transaction.non_atomic_requests(super().as_view(**initkwargs))

    async def respond(self) -> HttpResponse:
        raise NotImplementedError

    async def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = await self.respond()
        add_never_cache_headers(response)
        return response


class ReadinessView(ProbeView):
    """Answer 200 when ready for traffic, else 503 naming the failing checks."""

    async def respond(self) -> HttpResponse:
        return await aready_response(self.checks)


class HealthReportView(ProbeView):
    """Answer the full health report as JSON, with each check's time."""

    async def respond(self) -> HttpResponse:
        return await ahealth_response(self.checks)


ready = ReadinessView.as_view()
health = HealthReportView.as_view()
