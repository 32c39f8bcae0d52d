"""moa-ops' test settings without HealthProbeMiddleware: probes go through the full stack."""

from __future__ import annotations

from tests.settings import *  # noqa: F403

MIDDLEWARE = [m for m in MIDDLEWARE if m != "moa_ops.middleware.HealthProbeMiddleware"]  # noqa: F405
