"""moa-ops' test settings with ``SECURE_SSL_REDIRECT`` on."""

from __future__ import annotations

from tests.settings import *  # noqa: F403

SECURE_SSL_REDIRECT = True
