"""Settings for production behind a TLS-terminating proxy (nginx, an AWS ALB).

`python manage.py check --deploy --fail-level WARNING` passes with these settings.
"""

from __future__ import annotations

from email.utils import formataddr
from typing import Any, cast

import dj_database_url
import django
from django.core.exceptions import ImproperlyConfigured

from teammoa.settings.base import *  # noqa: F403
from teammoa.settings.base import (
    DEFAULT_FROM_EMAIL,
    LOGGING,
)
from teammoa.settings.environment import (
    env_addresses,
    env_bool,
    env_float,
    env_int,
    env_list,
    env_str,
)
from teammoa.settings.mail import default_mailer

DEBUG = False
SECRET_KEY = env_str("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["example.com"])
# Health probes from 127.0.0.1, a container or a load balancer need no entry
# here: moa_ops.middleware.HealthProbeMiddleware answers them before host checks.
CSRF_TRUSTED_ORIGINS = env_list(
    "DJANGO_CSRF_TRUSTED_ORIGINS", [f"https://{host}" for host in ALLOWED_HOSTS]
)
DATABASE_URL = env_str("DATABASE_URL")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_health_checks=True)}

# TLS ends at the proxy, which sends X-Forwarded-Proto. uvicorn (--proxy-headers)
# turns it into the request's scheme only when the peer is in FORWARDED_ALLOW_IPS
# (nginx), and Django takes the scheme from there. SECURE_PROXY_SSL_HEADER stays
# unset on purpose: Django would read the header from any peer, so a client that
# reaches uvicorn directly could pass plain HTTP off as https.
# nginx already redirects plain HTTP; this only catches a proxy misconfiguration.
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
# HSTS starts at one hour: a mistake (a subdomain without TLS) then costs an hour,
# not a year. Raise DJANGO_SECURE_HSTS_SECONDS step by step once HTTPS holds: a day,
# a week, a month, a year (31536000); only then set DJANGO_SECURE_HSTS_PRELOAD (the
# browsers' preload list wants a year and cannot be left quickly).
SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 60 * 60)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", False)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True

# An N+1 query is logged (logger moa_queries) with its model, relation and
# line of code; it never fails a request.
MOA_QUERIES_NPLUSONE_MODE = "log"

# Activation links point here, whatever Host header a request carried.
MOA_SIGNUP_SITE_URL = env_str("MOA_SIGNUP_SITE_URL", "https://example.com")

STORAGES = {
    # Uploads: MEDIA_ROOT (settings/base.py), the `media` volume nginx serves at /media/.
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
}

# This project was generated with the in-memory channel layer: WebSocket groups
# live in one process, so production must run exactly one server process.
# Regenerate with channel_layer=redis (or set CHANNEL_LAYERS to channels_redis)
# before running a second one.
CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# This project was generated with email_backend=console: emails are written to
# the log, not sent. Switch to SMTP before real users sign up.
globals().update(default_mailer("django.core.mail.backends.console.EmailBackend"))

# Errors. Everything is logged to stdout as in base (LOGGING); an unhandled exception
# (a 500) is also mailed, with its traceback and request, to everyone in DJANGO_ADMINS
# ("Ops <ops@example.com>, dev@example.com"; unset, no one), from DJANGO_SERVER_EMAIL.
# Django 6 takes address strings, Django 5.2 (name, address) pairs.
ADMIN_ADDRESSES = env_addresses("DJANGO_ADMINS")
ADMINS: list[Any] = [formataddr(pair) for pair in ADMIN_ADDRESSES]
if django.VERSION < (6, 0):
    ADMINS = list(ADMIN_ADDRESSES)
SERVER_EMAIL = env_str("DJANGO_SERVER_EMAIL", DEFAULT_FROM_EMAIL)
EMAIL_SUBJECT_PREFIX = "[teammoa] "
# The mail lists the settings: hide the passwords inside DATABASE_URL and REDIS_URL too.
DEFAULT_EXCEPTION_REPORTER_FILTER = "teammoa.error_reports.ErrorReportFilter"
LOGGING = {
    **LOGGING,
    "filters": {"require_debug_false": {"()": "django.utils.log.RequireDebugFalse"}},
    "handlers": {
        **cast("dict[str, Any]", LOGGING["handlers"]),
        "mail_admins": {
            "class": "django.utils.log.AdminEmailHandler",
            "level": "ERROR",
            "filters": ["require_debug_false"],
        },
    },
    "loggers": {
        # Django's default would mail every ERROR under "django" too, such as the
        # DisallowedHost of each scanner; here those only reach stdout, as before.
        "django": {"handlers": [], "level": "INFO"},
        # 500s (and the 5xx responses Django logs): stdout through the root, and a mail.
        "django.request": {"handlers": ["mail_admins"]},
    },
}

# Sentry, chosen by the environment: with SENTRY_DSN set, unhandled exceptions of views
# and WebSocket consumers (asgi.py), with their request, go to Sentry as well, and
# SENTRY_TRACES_SAMPLE_RATE of the requests (default 0: none) send a performance trace;
# the health probes never do. Unset, nothing of sentry-sdk is imported.
SENTRY_DSN = env_str("SENTRY_DSN", "")
if SENTRY_DSN:
    import sentry_sdk
    from sentry_sdk.integrations.django import DjangoIntegration

    SENTRY_TRACES_SAMPLE_RATE = env_float("SENTRY_TRACES_SAMPLE_RATE", 0.0)
    if not 0 <= SENTRY_TRACES_SAMPLE_RATE <= 1:
        raise ImproperlyConfigured("SENTRY_TRACES_SAMPLE_RATE must be between 0 and 1.")

    def traces_sampler(sampling_context: dict[str, Any]) -> float:
        """Trace SENTRY_TRACES_SAMPLE_RATE of the requests; never moa-ops' probe paths."""
        from moa_ops.probes import probe_for_path

        scope = sampling_context.get("asgi_scope") or {}
        path, root_path = scope.get("path", ""), scope.get("root_path", "")
        if root_path and path.startswith(root_path):
            path = path[len(root_path) :]
        return 0.0 if probe_for_path(path) else SENTRY_TRACES_SAMPLE_RATE

    sentry_sdk.init(
        dsn=SENTRY_DSN,
        environment=env_str("SENTRY_ENVIRONMENT", "production"),
        integrations=[
            DjangoIntegration(),
        ],
        # No sampler at 0: no trace is started at all.
        traces_sampler=traces_sampler if SENTRY_TRACES_SAMPLE_RATE else None,
    )

# Deliberate choices of this project that `check --deploy` would report.
SILENCED_SYSTEM_CHECKS = [
    # SECURE_PROXY_SSL_HEADER is unset on purpose (see above); the scheme still
    # comes from the proxy, through uvicorn, so no redirect loop.
    "moa_ops.W001",
    # HSTS preload waits for the ramp to a year (see SECURE_HSTS_SECONDS).
    "security.W021",
    # The in-memory channel layer: one server process (see CHANNEL_LAYERS).
    "moa_ops.W003",
    # Django 6.1: a development-only mail backend (see above).
    "mail.E001",
]
