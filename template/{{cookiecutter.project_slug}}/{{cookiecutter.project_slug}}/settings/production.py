"""Settings for production behind a TLS-terminating proxy (nginx, an AWS ALB).

`python manage.py check --deploy --fail-level WARNING` passes with these settings.
"""

from __future__ import annotations

from email.utils import formataddr
from typing import Any, cast

import dj_database_url
import django
from django.core.exceptions import ImproperlyConfigured
{%- if cookiecutter.channel_layer == "redis" and cookiecutter.use_mindmap == "yes" %}
from moa_mindmap.layers import redis_channel_layer
{%- endif %}

from {{ cookiecutter.project_slug }}.settings.base import *  # noqa: F403
from {{ cookiecutter.project_slug }}.settings.base import (
    DEFAULT_FROM_EMAIL,
    LOGGING,
{%- if cookiecutter.channel_layer == "redis" and cookiecutter.use_mindmap != "yes" %}
    redis_channel_layer,
{%- endif %}
)
from {{ cookiecutter.project_slug }}.settings.environment import (
    env_addresses,
    env_bool,
{%- if cookiecutter.email_backend == "smtp" %}
    env_email_provider,
{%- endif %}
    env_float,
    env_int,
    env_list,
{%- if cookiecutter.email_backend == "smtp" %}
    env_prefixed,
{%- endif %}
{%- if cookiecutter.deploy_target == "aws-alb" %}
    env_shared_url,
{%- endif %}
    env_str,
)
from {{ cookiecutter.project_slug }}.settings.mail import default_mailer

DEBUG = False
SECRET_KEY = env_str("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["{{ cookiecutter.domain }}"])
# Health probes from 127.0.0.1, a container or a load balancer need no entry
# here: moa_ops.middleware.HealthProbeMiddleware answers them before host checks.
CSRF_TRUSTED_ORIGINS = env_list(
    "DJANGO_CSRF_TRUSTED_ORIGINS", [f"https://{host}" for host in ALLOWED_HOSTS]
)

{%- if cookiecutter.deploy_target == "aws-alb" %}
# Every instance behind the load balancer uses the same database and Redis (RDS and
# ElastiCache, say): a URL naming this host is refused at start-up.
DATABASE_URL = env_shared_url("DATABASE_URL")
{%- else %}
DATABASE_URL = env_str("DATABASE_URL")
{%- endif %}
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_health_checks=True)}
{%- if cookiecutter.database == "postgresql" %}

# Under ASGI each request runs its ORM code in a thread of its own (sync_to_async), and
# Django's connections belong to a thread: without a pool, every request in flight opens
# its own connection to PostgreSQL, as many as there are requests. Django's psycopg pool
# (one per server process) holds at most DJANGO_DB_POOL_MAX_SIZE; a request takes one for
# its queries and gives it back when it ends (CONN_MAX_AGE=0, as the pool requires). A
# request that finds none free waits DJANGO_DB_POOL_TIMEOUT seconds, then fails (500)
# instead of piling onto the database. CONN_HEALTH_CHECKS makes the pool check each
# connection before handing it out. Choose
#   DJANGO_DB_POOL_MAX_SIZE x server processes (every instance, on every host)
#   + a few for migrate, cron jobs and a shell  <=  PostgreSQL's max_connections
# (100 by default; RDS derives it from the instance's memory). DJANGO_DB_POOL=false
# turns the pool off, for a PgBouncer in transaction mode that pools already.
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env_bool(
    "DJANGO_DB_POOL", True
):
    DB_POOL_OPTIONS = {
        "min_size": env_int("DJANGO_DB_POOL_MIN_SIZE", 2),
        "max_size": env_int("DJANGO_DB_POOL_MAX_SIZE", 10),
        "timeout": env_float("DJANGO_DB_POOL_TIMEOUT", 10.0),
    }
    if (
        not 0 <= DB_POOL_OPTIONS["min_size"] <= DB_POOL_OPTIONS["max_size"]
        or DB_POOL_OPTIONS["max_size"] < 1
    ):
        raise ImproperlyConfigured(
            "DJANGO_DB_POOL_MIN_SIZE must be at least 0 and at most DJANGO_DB_POOL_MAX_SIZE, "
            f"which must be at least 1 (not {DB_POOL_OPTIONS['min_size']} and "
            f"{DB_POOL_OPTIONS['max_size']})."
        )
    if DB_POOL_OPTIONS["timeout"] <= 0:
        raise ImproperlyConfigured("DJANGO_DB_POOL_TIMEOUT must be more than 0 seconds.")
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = DB_POOL_OPTIONS
{%- endif %}

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
{%- if cookiecutter.use_signup == "yes" %}

# Activation links point here, whatever Host header a request carried.
MOA_SIGNUP_SITE_URL = env_str("MOA_SIGNUP_SITE_URL", "https://{{ cookiecutter.domain }}")
{%- endif %}

{%- if cookiecutter.deploy_target == "aws-alb" %}

# Uploads (FileField, ImageField) go to an S3 bucket every instance shares
# (django-storages): behind the load balancer no disk is shared, and a file saved on
# one instance would be missing from the others. The bucket stays private: each file's
# URL is signed and expires after an hour. boto3 finds the credentials: the instance's
# IAM role, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in .env.
UPLOADS_BUCKET = env_str("DJANGO_AWS_STORAGE_BUCKET_NAME", "")
if not UPLOADS_BUCKET:
    raise ImproperlyConfigured(
        "Set DJANGO_AWS_STORAGE_BUCKET_NAME to the S3 bucket for uploads: behind the load "
        "balancer, a file saved on one instance's disk would be missing from the others."
    )
UPLOADS_STORAGE = {
    "BACKEND": "storages.backends.s3.S3Storage",
    "OPTIONS": {
        "bucket_name": UPLOADS_BUCKET,
        # The bucket's region; unset, boto3's own (AWS_DEFAULT_REGION).
        "region_name": env_str("DJANGO_AWS_S3_REGION_NAME", "") or None,
        # An S3-compatible service instead of AWS (MinIO, say); unset, AWS.
        "endpoint_url": env_str("DJANGO_AWS_S3_ENDPOINT_URL", "") or None,
        # Signed URLs in Signature Version 4, the one every AWS region accepts.
        "signature_version": "s3v4",
        # As on a disk, a second upload of a name gets a name of its own; by default
        # django-storages would replace the first file.
        "file_overwrite": False,
    },
}

STORAGES = {
    "default": UPLOADS_STORAGE,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
}
{%- else %}

STORAGES = {
    # Uploads: MEDIA_ROOT (settings/base.py), the `media` volume nginx serves at /media/.
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
}
{%- endif %}
{%- if cookiecutter.channel_layer == "redis" %}

{%- if cookiecutter.deploy_target == "aws-alb" %}
REDIS_URL = env_shared_url("REDIS_URL")
{%- else %}
REDIS_URL = env_str("REDIS_URL")
{%- endif %}
CHANNEL_LAYERS = {"default": redis_channel_layer(REDIS_URL)}
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "OPTIONS": {"socket_timeout": 5, "socket_connect_timeout": 5},
    }
}
{%- else %}

# This project was generated with the in-memory channel layer: WebSocket groups
# live in one process, so production must run exactly one server process.
# Regenerate with channel_layer=redis (or set CHANNEL_LAYERS to channels_redis)
# before running a second one.
CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
{%- endif %}
{%- if cookiecutter.email_backend == "smtp" %}

# Mail goes over SMTP, or through a transactional email provider's HTTP API when
# DJANGO_EMAIL_PROVIDER names one of django-anymail's: postmark, mailgun, sendgrid,
# brevo, resend, ... Each ANYMAIL_<NAME> variable becomes ANYMAIL["<NAME>"] (the
# provider's credentials: ANYMAIL_POSTMARK_SERVER_TOKEN, ANYMAIL_MAILGUN_API_KEY).
# Either way a call gives up after DJANGO_EMAIL_TIMEOUT seconds: a hung mail server
# must not hold a request (and its transaction) forever.
EMAIL_TIMEOUT_S = env_int("DJANGO_EMAIL_TIMEOUT", 10)
PROVIDER_BACKEND = env_email_provider("DJANGO_EMAIL_PROVIDER")
if PROVIDER_BACKEND:
    ANYMAIL = {
        **env_prefixed("ANYMAIL_"),
        # Anymail ignores EMAIL_TIMEOUT; this bounds every API call (default 30 s).
        "REQUESTS_TIMEOUT": EMAIL_TIMEOUT_S,
    }
    globals().update(default_mailer(PROVIDER_BACKEND, timeout=EMAIL_TIMEOUT_S))
else:
    globals().update(
        default_mailer(
            "django.core.mail.backends.smtp.EmailBackend",
            host=env_str("DJANGO_EMAIL_HOST", "localhost"),
            port=env_int("DJANGO_EMAIL_PORT", 587),
            username=env_str("DJANGO_EMAIL_HOST_USER", ""),
            password=env_str("DJANGO_EMAIL_HOST_PASSWORD", ""),
            use_tls=env_bool("DJANGO_EMAIL_USE_TLS", True),
            timeout=EMAIL_TIMEOUT_S,
        )
    )
{%- else %}

# This project was generated with email_backend=console: emails are written to
# the log, not sent. Switch to SMTP before real users sign up.
globals().update(default_mailer("django.core.mail.backends.console.EmailBackend"))
{%- endif %}

# Errors. Everything is logged to stdout as in base (LOGGING); an unhandled exception
# (a 500) is also mailed, with its traceback and request, to everyone in DJANGO_ADMINS
# ("Ops <ops@example.com>, dev@example.com"; unset, no one), from DJANGO_SERVER_EMAIL.
# Django 6 takes address strings, Django 5.2 (name, address) pairs.
ADMIN_ADDRESSES = env_addresses("DJANGO_ADMINS")
ADMINS: list[Any] = [formataddr(pair) for pair in ADMIN_ADDRESSES]
if django.VERSION < (6, 0):
    ADMINS = list(ADMIN_ADDRESSES)
SERVER_EMAIL = env_str("DJANGO_SERVER_EMAIL", DEFAULT_FROM_EMAIL)
EMAIL_SUBJECT_PREFIX = "[{{ cookiecutter.project_slug }}] "
# The mail lists the settings: hide the passwords inside DATABASE_URL and REDIS_URL too.
DEFAULT_EXCEPTION_REPORTER_FILTER = "{{ cookiecutter.project_slug }}.error_reports.ErrorReportFilter"
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
{%- if cookiecutter.channel_layer == "redis" %}
    from sentry_sdk.integrations.redis import RedisIntegration
{%- endif %}

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
{%- if cookiecutter.channel_layer == "redis" %}
            RedisIntegration(),
{%- endif %}
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
{%- if cookiecutter.channel_layer == "in-memory" %}
    # The in-memory channel layer: one server process (see CHANNEL_LAYERS).
    "moa_ops.W003",
{%- endif %}
{%- if cookiecutter.email_backend == "console" %}
    # Django 6.1: a development-only mail backend (see above).
    "mail.E001",
{%- endif %}
]
