"""``SECURE_SSL_REDIRECT`` on and no HealthProbeMiddleware: the probe meets the redirect."""

from __future__ import annotations

from tests.settings_without_probe_middleware import *  # noqa: F403

SECURE_SSL_REDIRECT = True
