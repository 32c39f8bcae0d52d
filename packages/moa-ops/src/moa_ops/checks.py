"""System checks of moa-ops. Ids are stable; the docs list every one."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning

from moa_ops.conf import app_settings

# Every id, once: the docs page lists each (tests/test_checks.py asserts it).
BAD_TIMEOUT_ID = "moa_ops.E001"
BAD_DRAIN_FILE_ID = "moa_ops.E002"
UNKNOWN_ALIAS_ID = "moa_ops.E003"
DEVSERVER_WITHOUT_DAPHNE_ID = "moa_ops.E004"
SSL_REDIRECT_WITHOUT_PROXY_HEADER_ID = "moa_ops.W001"
CHANNELS_WITHOUT_DAPHNE_ID = "moa_ops.W002"
IN_MEMORY_LAYER_ID = "moa_ops.W003"
CSRF_ORIGINS_MISSING_ID = "moa_ops.W004"
SMTP_WITHOUT_TIMEOUT_ID = "moa_ops.W005"
PROBE_MIDDLEWARE_NOT_FIRST_ID = "moa_ops.W006"
PROBE_URLS_MISSING_ID = "moa_ops.W007"
DEPRECATED_SELECTION_ID = "moa_ops.W008"

MIDDLEWARE_PATH = "moa_ops.middleware.HealthProbeMiddleware"
IN_MEMORY_LAYER = "channels.layers.InMemoryChannelLayer"


def _checks_moa_ops(app_configs: Sequence[AppConfig] | None) -> bool:
    """Whether ``manage.py check`` asked about moa-ops' own configuration."""
    return app_configs is None or any(config.name == "moa_ops" for config in app_configs)


def check_settings(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """Validate the ``MOA_OPS_*`` settings' types and ranges."""
    if not _checks_moa_ops(app_configs):
        return []
    errors: list[CheckMessage] = []
    for name in ("MOA_OPS_DRAIN_TIMEOUT", "MOA_OPS_CHECK_TIMEOUT"):
        value = getattr(app_settings, name)
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            errors.append(
                Error(
                    f"{name} must be a positive number of seconds, not {value!r}.",
                    hint=f"Set {name} to a number such as 2 or 15.",
                    id=BAD_TIMEOUT_ID,
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
                id=BAD_DRAIN_FILE_ID,
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
                    id=UNKNOWN_ALIAS_ID,
                )
            )
    return errors


def check_deprecated_settings(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """Warn about the readiness selection settings that ``checks=`` replaces."""
    if not _checks_moa_ops(app_configs):
        return []
    found = [name for name in app_settings.DEPRECATED_SELECTION if hasattr(settings, name)]
    if not found:
        return []
    return [
        Warning(
            "The settings that select readiness checks are deprecated.",
            hint=f"Remove {', '.join(found)} and pass checks= to "
            "moa_ops.urls.probe_urls() (see 'Choosing the checks' in the docs).",
            id=DEPRECATED_SELECTION_ID,
        )
    ]


def check_probe_middleware(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """Warn unless ``HealthProbeMiddleware`` is the first middleware."""
    if not _checks_moa_ops(app_configs):
        return []
    middleware = list(settings.MIDDLEWARE)
    if middleware and middleware[0] == MIDDLEWARE_PATH:
        return []
    where = "missing from" if MIDDLEWARE_PATH not in middleware else "not first in"
    return [
        Warning(
            f"HealthProbeMiddleware is {where} MIDDLEWARE.",
            hint=f"Put {MIDDLEWARE_PATH!r} first in MIDDLEWARE so probes skip "
            "ALLOWED_HOSTS and SECURE_SSL_REDIRECT.",
            id=PROBE_MIDDLEWARE_NOT_FIRST_ID,
        )
    ]


def check_probe_urls(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """Warn when ``moa_ops.urls`` is not included, so no probe path exists."""
    if not _checks_moa_ops(app_configs):
        return []
    from moa_ops.probes import PROBE_NAMES, find_probe_routes

    found = {route.name for route in find_probe_routes(settings.ROOT_URLCONF).values()}
    if found == set(PROBE_NAMES):
        return []
    return [
        Warning(
            "The moa_ops probe URLs are not included in ROOT_URLCONF.",
            hint='Add path("", include("moa_ops.urls")) to your urlpatterns.',
            id=PROBE_URLS_MISSING_ID,
        )
    ]


#: The apps whose ``runserver`` is daphne's, which serves WebSockets.
RUNSERVER_ON_DAPHNE = ("daphne", "moa_ops.devserver")


def check_daphne_for_channels(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """Warn when Channels is set up but runserver would not serve WebSockets."""
    from django.core.management import get_commands

    apps = list(settings.INSTALLED_APPS)
    uses_channels = "channels" in apps or bool(getattr(settings, "ASGI_APPLICATION", None))
    if not uses_channels or get_commands().get("runserver") in RUNSERVER_ON_DAPHNE:
        return []
    return [
        Warning(
            "Channels is configured but runserver would answer WebSockets with 404.",
            hint="Put 'moa_ops.devserver' (or 'daphne') first in INSTALLED_APPS.",
            id=CHANNELS_WITHOUT_DAPHNE_ID,
        )
    ]


def check_devserver_has_daphne(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """Error when daphne, which ``moa_ops.devserver`` runs, is not installed.

    Registered by ``moa_ops.devserver``'s app, so it runs only where that app is.
    """
    import importlib.util

    if importlib.util.find_spec("daphne") is not None:
        return []
    return [
        Error(
            "'moa_ops.devserver' is installed but daphne, which it runs, is not.",
            hint="pip install daphne, or remove 'moa_ops.devserver' from INSTALLED_APPS.",
            id=DEVSERVER_WITHOUT_DAPHNE_ID,
        )
    ]


def check_proxy_ssl_header(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """Warn about an HTTPS redirect that loops behind a TLS-terminating proxy."""
    if not settings.SECURE_SSL_REDIRECT:
        return []
    if settings.SECURE_PROXY_SSL_HEADER:
        return []
    return [
        Warning(
            "SECURE_SSL_REDIRECT is on but SECURE_PROXY_SSL_HEADER is not set.",
            hint="Behind a TLS proxy set SECURE_PROXY_SSL_HEADER = "
            "('HTTP_X_FORWARDED_PROTO', 'https') and send X-Forwarded-Proto.",
            id=SSL_REDIRECT_WITHOUT_PROXY_HEADER_ID,
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
            id=IN_MEMORY_LAYER_ID,
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
    if not settings.SECURE_PROXY_SSL_HEADER:
        return []
    trusted = set(settings.CSRF_TRUSTED_ORIGINS)
    missing = [origin for origin in _https_origins_needed() if origin not in trusted]
    if not missing:
        return []
    return [
        Warning(
            "CSRF_TRUSTED_ORIGINS lacks HTTPS origins of allowed hosts.",
            hint=f"Behind a TLS proxy add {', '.join(missing)} to CSRF_TRUSTED_ORIGINS.",
            id=CSRF_ORIGINS_MISSING_ID,
        )
    ]


SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
# Backends that never touch the network: a timeout means nothing to them (and
# with Django 6.1's MAILERS they reject one).
IN_PROCESS_EMAIL_BACKENDS = frozenset(
    {
        "django.core.mail.backends.console.EmailBackend",
        "django.core.mail.backends.dummy.EmailBackend",
        "django.core.mail.backends.filebased.EmailBackend",
        "django.core.mail.backends.locmem.EmailBackend",
    }
)
LEGACY_MAILER = "EMAIL_TIMEOUT"


def mailers_without_timeout() -> dict[str, object]:
    """Return ``{mailer: timeout}`` for each mailer that waits on a network unbounded.

    The rule of moa_ops.W005 and moa_signup.E001: a mailer whose backend is
    not in-process needs a timeout that is a positive number of seconds.
    Mailers are named ``"MAILERS['alias']"`` (Django 6.1) or
    ``"EMAIL_TIMEOUT"`` (``EMAIL_BACKEND`` and ``EMAIL_TIMEOUT``, still read on
    Django 6.1 without ``MAILERS``). moa-signup depends on no other Moa
    package, so its checks hold the same function; the cases in
    ``moa_testsupport.mail`` keep the two alike.
    """
    mailers = getattr(settings, "MAILERS", None)
    if mailers is None:
        with warnings.catch_warnings():
            # Django 6.1 warns on every read of a deprecated EMAIL_* setting.
            warnings.simplefilter("ignore")
            found = {LEGACY_MAILER: (str(settings.EMAIL_BACKEND), settings.EMAIL_TIMEOUT)}
    else:
        found = {
            f"MAILERS[{alias!r}]": (
                config.get("BACKEND", SMTP_BACKEND),
                config.get("OPTIONS", {}).get("timeout"),
            )
            for alias, config in (mailers.items() if isinstance(mailers, dict) else ())
        }
    return {
        name: timeout
        for name, (backend, timeout) in found.items()
        if backend not in IN_PROCESS_EMAIL_BACKENDS
        and (isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0)
    }


def check_email_timeout(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """Warn when a mailer has no timeout: a hung mail server holds the request."""
    missing = list(mailers_without_timeout())
    if not missing:
        return []
    fix = (
        "EMAIL_TIMEOUT = 10"
        if missing == [LEGACY_MAILER]
        else "a positive 'timeout' in the OPTIONS of " + ", ".join(missing)
    )
    return [
        Warning(
            "Email has no timeout; a hung mail server blocks requests forever.",
            hint=f"Set {fix}.",
            id=SMTP_WITHOUT_TIMEOUT_ID,
        )
    ]
