from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.urls import include, path
from health_check.checks import Cache, Database
from health_check.views import HealthCheckView

from moa_ops.health import CacheCheck, DatabaseCheck
from moa_ops.views import ReadinessView


def plain(request: HttpRequest) -> JsonResponse:
    """The baseline: a minimal JSON view behind the full middleware stack."""
    return JsonResponse({"status": "ok"})


urlpatterns = [
    path("", include("moa_ops.urls")),
    path("plain/", plain),
    # Readiness on the same two services, side by side: django-health-check's own view
    # and moa-ops' view (behind the full middleware stack, like it).
    path("dhc/ready/", HealthCheckView.as_view(checks=[Database, Cache])),
    path("moa/ready/", ReadinessView.as_view(checks=[DatabaseCheck, CacheCheck])),
]
