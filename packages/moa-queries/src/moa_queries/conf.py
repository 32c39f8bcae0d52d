"""Settings of moa-queries, read from ``django.conf.settings`` on every access."""

from __future__ import annotations

from typing import Any

from django.conf import settings

NPLUSONE_MODES = ("raise", "warn", "log", "off")


class Settings:
    """One typed property per ``MOA_QUERIES_*`` setting, with its default beside it."""

    @property
    def MOA_QUERIES_NPLUSONE_MODE(self) -> str:
        """What the detector does on an N+1: raise, warn, log or off.

        Unset: ``warn`` while ``DEBUG`` is on, ``log`` otherwise.
        """
        value = getattr(settings, "MOA_QUERIES_NPLUSONE_MODE", None)
        if value is None:
            return "warn" if settings.DEBUG else "log"
        return str(value)

    @property
    def MOA_QUERIES_REPEATED_QUERY_THRESHOLD(self) -> int | None:
        """Identical SQL shapes in one request before they are reported (None: never)."""
        value: int | None = getattr(settings, "MOA_QUERIES_REPEATED_QUERY_THRESHOLD", 10)
        return value

    @property
    def MOA_QUERIES_NPLUSONE_WHITELIST(self) -> list[dict[str, Any]]:
        """Entries ``{"model": "app.Model", "field": "name", "site": "glob"}`` to ignore."""
        return list(getattr(settings, "MOA_QUERIES_NPLUSONE_WHITELIST", []))


app_settings = Settings()
