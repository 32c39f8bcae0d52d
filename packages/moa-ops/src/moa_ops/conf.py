"""Settings of moa-ops, read from ``django.conf.settings`` on every access."""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
from functools import cache
from pathlib import Path

from django.conf import ENVIRONMENT_VARIABLE, settings


def private_run_dir() -> Path:
    """Return ``<temp dir>/moa-ops-<uid>``: this user's directory for drain files.

    The temporary directory is writable by everyone; a directory only this user
    can enter keeps other local users from draining the app or planting links.
    """
    return Path(tempfile.gettempdir()) / f"moa-ops-{os.getuid()}"


@cache
def default_drain_file(settings_module: str | None) -> Path:
    """Return the drain file shared by every process that runs ``settings_module``.

    It lies in this user's private directory under the temporary directory, named
    after the path of the settings file, so the processes of one project on a host
    agree on it and two projects never do.
    """
    module_file = getattr(sys.modules.get(settings_module or ""), "__file__", None)
    # Without a settings file (settings.configure()), the module name is all there is.
    origin = os.path.abspath(module_file) if module_file else settings_module or ""
    digest = hashlib.sha256(origin.encode()).hexdigest()[:12]
    return private_run_dir() / f"drain-{digest}"


class Settings:
    """One typed property per ``MOA_OPS_*`` setting, with its default beside it."""

    @property
    def MOA_OPS_DRAIN_FILE(self) -> Path | None:
        """While this file exists, readiness answers 503 (``None``: no file).

        Default: ``<temp dir>/moa-ops-<uid>/drain-<hash of the settings file's path>``.
        """
        if not hasattr(settings, "MOA_OPS_DRAIN_FILE"):
            # override_settings() hides SETTINGS_MODULE; Django read it from the environment.
            module = getattr(settings, "SETTINGS_MODULE", None)
            return default_drain_file(module or os.environ.get(ENVIRONMENT_VARIABLE))
        value: str | os.PathLike[str] | None = getattr(settings, "MOA_OPS_DRAIN_FILE", None)
        return None if value is None else Path(value)

    @property
    def MOA_OPS_DRAIN_TIMEOUT(self) -> float:
        """Seconds ``manage.py drain`` waits after flipping readiness to 503."""
        return getattr(settings, "MOA_OPS_DRAIN_TIMEOUT", 15.0)

    @property
    def MOA_OPS_CHECK_TIMEOUT(self) -> float:
        """Seconds one readiness check may take before it counts as failed."""
        return getattr(settings, "MOA_OPS_CHECK_TIMEOUT", 2.0)

    # Deprecated: the readiness checks are chosen with checks= (moa_ops.urls.probe_urls);
    # these four still narrow moa_ops.health.default_checks() while set (moa_ops.W008).
    DEPRECATED_SELECTION = (
        "MOA_OPS_DATABASES",
        "MOA_OPS_CACHES",
        "MOA_OPS_CHECK_CHANNEL_LAYER",
        "MOA_OPS_CHECK_MIGRATIONS",
    )

    @property
    def MOA_OPS_CHECK_CHANNEL_LAYER(self) -> bool:
        """Deprecated: whether readiness does a round trip on the default channel layer."""
        return getattr(settings, "MOA_OPS_CHECK_CHANNEL_LAYER", True)

    @property
    def MOA_OPS_CHECK_MIGRATIONS(self) -> bool:
        """Deprecated: whether readiness fails while migrations are unapplied."""
        return getattr(settings, "MOA_OPS_CHECK_MIGRATIONS", True)

    @property
    def MOA_OPS_CACHES(self) -> list[str]:
        """Deprecated: cache aliases readiness checks (default: every configured cache)."""
        value = getattr(settings, "MOA_OPS_CACHES", None)
        if value is None:
            return list(getattr(settings, "CACHES", {}))
        return list(value)

    @property
    def MOA_OPS_DATABASES(self) -> list[str]:
        """Deprecated: database aliases readiness checks (default: every configured one)."""
        value = getattr(settings, "MOA_OPS_DATABASES", None)
        if value is None:
            return list(settings.DATABASES)
        return list(value)


app_settings = Settings()
