"""Settings of moa-ops, read from ``django.conf.settings`` on every access."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings


class Settings:
    """One typed property per ``MOA_OPS_*`` setting, with its default beside it."""

    @property
    def MOA_OPS_DRAIN_FILE(self) -> Path | None:
        """While this file exists, readiness answers 503 (``None``: no file)."""
        value = getattr(settings, "MOA_OPS_DRAIN_FILE", None)
        return None if value is None else Path(value)

    @property
    def MOA_OPS_DRAIN_TIMEOUT(self) -> float:
        """Seconds ``manage.py drain`` waits after flipping readiness to 503."""
        return getattr(settings, "MOA_OPS_DRAIN_TIMEOUT", 15.0)

    @property
    def MOA_OPS_CHECK_TIMEOUT(self) -> float:
        """Seconds one readiness check may take before it counts as failed."""
        return getattr(settings, "MOA_OPS_CHECK_TIMEOUT", 2.0)

    @property
    def MOA_OPS_CHECK_CHANNEL_LAYER(self) -> bool:
        """Whether readiness does a round trip on the default channel layer."""
        return getattr(settings, "MOA_OPS_CHECK_CHANNEL_LAYER", True)

    @property
    def MOA_OPS_CHECK_MIGRATIONS(self) -> bool:
        """Whether readiness fails while migrations are unapplied."""
        return getattr(settings, "MOA_OPS_CHECK_MIGRATIONS", True)

    @property
    def MOA_OPS_CACHES(self) -> list[str]:
        """Cache aliases readiness checks (default: every configured cache)."""
        value = getattr(settings, "MOA_OPS_CACHES", None)
        if value is None:
            return list(getattr(settings, "CACHES", {}))
        return list(value)

    @property
    def MOA_OPS_DATABASES(self) -> list[str]:
        """Database aliases readiness checks (default: every configured database)."""
        value = getattr(settings, "MOA_OPS_DATABASES", None)
        if value is None:
            return list(settings.DATABASES)
        return list(value)


app_settings = Settings()
