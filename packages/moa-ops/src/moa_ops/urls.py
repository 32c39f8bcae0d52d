"""Probe URLs: include with ``path("", include("moa_ops.urls"))``.

To choose the readiness checks, include :func:`probe_urls` instead::

    path("", include(probe_urls(checks=[DrainCheck, DatabaseCheck, MyCheck])))
"""

from __future__ import annotations

from django.urls import URLPattern, path

from moa_ops import views
from moa_ops.health import Checks

app_name = "moa_ops"


def probe_urls(checks: Checks | None = None) -> tuple[list[URLPattern], str]:
    """Return the probe URL patterns, readiness and report running ``checks``.

    ``checks=None`` runs :func:`moa_ops.health.default_checks`.
    :class:`~moa_ops.middleware.HealthProbeMiddleware` answers with the same checks.
    """
    return (
        [
            path("health/live/", views.live, name="live"),
            path("health/ready/", views.ReadinessView.as_view(checks=checks), name="ready"),
            path("health/", views.HealthReportView.as_view(checks=checks), name="health"),
        ],
        app_name,
    )


urlpatterns = probe_urls()[0]
