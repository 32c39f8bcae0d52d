"""Views for ``health/live/``, ``health/ready/`` and ``health/``.

Mounted through :mod:`moa_ops.urls`; :class:`~moa_ops.middleware.HealthProbeMiddleware`
answers the same paths earlier, before host validation and HTTPS redirects.
"""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from moa_ops.probes import ahealth_response, aready_response, live_response


@never_cache
@require_safe
def live(request: HttpRequest) -> HttpResponse:
    """Answer 200 while the process serves; touch nothing else."""
    return live_response()


@never_cache
@require_safe
@transaction.non_atomic_requests
async def ready(request: HttpRequest) -> HttpResponse:
    """Answer 200 when ready for traffic, else 503 naming the failing checks."""
    return await aready_response()


@never_cache
@require_safe
@transaction.non_atomic_requests
async def health(request: HttpRequest) -> HttpResponse:
    """Answer the full health report as JSON."""
    return await ahealth_response()
