"""System checks of moa-ops. Ids are stable; the docs list every one."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning

MIDDLEWARE_PATH = "moa_ops.middleware.HealthProbeMiddleware"
IN_MEMORY_LAYER = "channels.layers.InMemoryChannelLayer"


def check_settings(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """Validate the ``MOA_OPS_*`` settings' types and ranges."""
    errors: list[CheckMessage] = []
    for name in ("MOA_OPS_DRAIN_TIMEOUT", "MOA_OPS_CHECK_TIMEOUT"):
        value = getattr(settings, name, 1.0)
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            errors.append(
                Error(
                    f"{name} must be a positive number of seconds, not {value!r}.",
                    hint=f"Set {name} to a number such as 2 or 15.",
                    id="moa_ops.E001",
                )
            )
    drain_file = getattr(settings, "MOA_OPS_DRAIN_FILE", None)
    if (
        drain_file is not None
        and not isinstance(drain_file, str | bytes)
        and not hasattr(drain_file, "__fspath__")
    ):
        errors.append(
            Error(
                f"MOA_OPS_DRAIN_FILE must be a path or None, not {drain_file!r}.",
                hint="Set MOA_OPS_DRAIN_FILE to a path, or remove it to use the default.",
                id="moa_ops.E002",
            )
        )
    for name in ("MOA_OPS_CACHES", "MOA_OPS_DATABASES"):
        value = getattr(settings, name, None)
        known = settings.CACHES if name == "MOA_OPS_CACHES" else settings.DATABASES
        if value is None:
            continue
        unknown = [alias for alias in value if alias not in known]
        if isinstance(value, str) or unknown:
            errors.append(
                Error(
                    f"{name} must list configured aliases; unknown: {unknown or value!r}.",
                    hint=f"Use aliases from {name.removeprefix('MOA_OPS_')}.",
                    id="moa_ops.E003",
                )
            )
    return errors


def check_probe_middleware(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """Warn unless ``HealthProbeMiddleware`` is the first middleware."""
    middleware = list(getattr(settings, "MIDDLEWARE", []))
    if middleware and middleware[0] == MIDDLEWARE_PATH:
        return []
    where = "missing from" if MIDDLEWARE_PATH not in middleware else "not first in"
    return [
        Warning(
            f"HealthProbeMiddleware is {where} MIDDLEWARE.",
            hint=f"Put {MIDDLEWARE_PATH!r} first in MIDDLEWARE so probes skip "
            "ALLOWED_HOSTS and SECURE_SSL_REDIRECT.",
            id="moa_ops.W006",
        )
    ]


def check_probe_urls(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """Warn when ``moa_ops.urls`` is not included, so no probe path exists."""
    from moa_ops.probes import PROBE_NAMES, _probe_paths

    _probe_paths.cache_clear()
    found = set(_probe_paths(settings.ROOT_URLCONF).values())
    if found == set(PROBE_NAMES):
        return []
    return [
        Warning(
            "The moa_ops probe URLs are not included in ROOT_URLCONF.",
            hint='Add path("", include("moa_ops.urls")) to your urlpatterns.',
            id="moa_ops.W007",
        )
    ]


def check_daphne_for_channels(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """Warn when Channels is set up but runserver would not serve WebSockets."""
    apps = list(settings.INSTALLED_APPS)
    uses_channels = "channels" in apps or bool(getattr(settings, "ASGI_APPLICATION", None))
    if not uses_channels or (apps and apps[0] == "daphne"):
        return []
    return [
        Warning(
            "Channels is configured but 'daphne' is not first in INSTALLED_APPS.",
            hint="Put 'daphne' first in INSTALLED_APPS so runserver serves "
            "WebSockets (it answers them with 404 otherwise).",
            id="moa_ops.W002",
        )
    ]


def check_proxy_ssl_header(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """Warn about an HTTPS redirect that loops behind a TLS-terminating proxy."""
    if not getattr(settings, "SECURE_SSL_REDIRECT", False):
        return []
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        return []
    return [
        Warning(
            "SECURE_SSL_REDIRECT is on but SECURE_PROXY_SSL_HEADER is not set.",
            hint="Behind a TLS proxy set SECURE_PROXY_SSL_HEADER = "
            "('HTTP_X_FORWARDED_PROTO', 'https') and send X-Forwarded-Proto.",
            id="moa_ops.W001",
        )
    ]


def check_in_memory_channel_layer(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """Warn when production runs on the single-process in-memory channel layer."""
    layers = getattr(settings, "CHANNEL_LAYERS", None) or {}
    backend = layers.get("default", {}).get("BACKEND")
    if settings.DEBUG or backend != IN_MEMORY_LAYER:
        return []
    return [
        Warning(
            "InMemoryChannelLayer is used with DEBUG = False.",
            hint="Use channels_redis.core.RedisChannelLayer so messages reach "
            "every server process.",
            id="moa_ops.W003",
        )
    ]


def _https_origins_needed() -> list[str]:
    hosts = [str(host) for host in settings.ALLOWED_HOSTS]
    needed = []
    for host in hosts:
        if host in ("*", "") or host.startswith("[") or host.replace(".", "").isdigit():
            continue
        if host in ("localhost", "127.0.0.1"):
            continue
        needed.append("https://" + ("*" + host if host.startswith(".") else host))
    return needed


def check_csrf_trusted_origins(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """Warn when HTTPS origins behind a TLS proxy are missing from CSRF_TRUSTED_ORIGINS."""
    if not getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        return []
    trusted = set(getattr(settings, "CSRF_TRUSTED_ORIGINS", []))
    missing = [origin for origin in _https_origins_needed() if origin not in trusted]
    if not missing:
        return []
    return [
        Warning(
            "CSRF_TRUSTED_ORIGINS lacks HTTPS origins of allowed hosts.",
            hint=f"Behind a TLS proxy add {', '.join(missing)} to CSRF_TRUSTED_ORIGINS.",
            id="moa_ops.W004",
        )
    ]


SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"


def _smtp_without_timeout() -> list[str]:
    """Return the names of SMTP mailers that have no timeout.

    Django 6.1 configures mail through ``MAILERS`` (a timeout per mailer in
    ``OPTIONS``) and deprecates ``EMAIL_TIMEOUT``; Django 5.2 has only the latter.
    """
    mailers = getattr(settings, "MAILERS", None)
    if mailers is not None:
        return [
            f"MAILERS[{alias!r}]"
            for alias, config in mailers.items()
            if config.get("BACKEND", SMTP_BACKEND) == SMTP_BACKEND
            and config.get("OPTIONS", {}).get("timeout") is None
        ]
    with warnings.catch_warnings():
        # Reading the legacy settings warns on Django 6.1; the check must not.
        warnings.simplefilter("ignore")
        backend = getattr(settings, "EMAIL_BACKEND", SMTP_BACKEND)
        timeout = getattr(settings, "EMAIL_TIMEOUT", None)
    return ["EMAIL_TIMEOUT"] if backend == SMTP_BACKEND and timeout is None else []


def check_email_timeout(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """Warn when SMTP has no timeout: a hung SMTP server holds the request."""
    missing = _smtp_without_timeout()
    if not missing:
        return []
    fix = (
        "EMAIL_TIMEOUT = 10"
        if missing == ["EMAIL_TIMEOUT"]
        else "a 'timeout' in the OPTIONS of " + ", ".join(missing)
    )
    return [
        Warning(
            "SMTP email has no timeout; a hung SMTP server blocks requests forever.",
            hint=f"Set {fix}.",
            id="moa_ops.W005",
        )
    ]
