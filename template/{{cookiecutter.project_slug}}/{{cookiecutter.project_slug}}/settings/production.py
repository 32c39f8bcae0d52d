"""Settings for production behind a TLS-terminating proxy (nginx, an AWS ALB).

`python manage.py check --deploy --fail-level WARNING` passes with these settings.
"""

from __future__ import annotations

import dj_database_url
import django

from {{ cookiecutter.project_slug }}.settings.base import *  # noqa: F403
{%- if cookiecutter.channel_layer == "redis" %}
from {{ cookiecutter.project_slug }}.settings.base import REDIS_CONNECTION_OPTIONS
{%- endif %}
from {{ cookiecutter.project_slug }}.settings.environment import (
    env_bool,
    env_int,
    env_list,
{%- if cookiecutter.deploy_target == "aws-alb" %}
    env_shared_url,
{%- endif %}
    env_str,
)

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

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
}
{%- if cookiecutter.channel_layer == "redis" %}

{%- if cookiecutter.deploy_target == "aws-alb" %}
REDIS_URL = env_shared_url("REDIS_URL")
{%- else %}
REDIS_URL = env_str("REDIS_URL")
{%- endif %}
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {"hosts": [{"address": REDIS_URL, **REDIS_CONNECTION_OPTIONS}]},
    }
}
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

# SMTP with a timeout: a hung mail server must not hold a request (and its
# transaction) forever. Django 6.1 configures mail with MAILERS and deprecates
# the EMAIL_* settings; Django 5.2 knows only those.
SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
SMTP_HOST = env_str("DJANGO_EMAIL_HOST", "localhost")
SMTP_PORT = env_int("DJANGO_EMAIL_PORT", 587)
SMTP_USER = env_str("DJANGO_EMAIL_HOST_USER", "")
SMTP_PASSWORD = env_str("DJANGO_EMAIL_HOST_PASSWORD", "")
SMTP_USE_TLS = env_bool("DJANGO_EMAIL_USE_TLS", True)
SMTP_TIMEOUT_S = env_int("DJANGO_EMAIL_TIMEOUT", 10)
if django.VERSION >= (6, 1):
    MAILERS = {
        "default": {
            "BACKEND": SMTP_BACKEND,
            "OPTIONS": {
                "host": SMTP_HOST,
                "port": SMTP_PORT,
                "username": SMTP_USER,
                "password": SMTP_PASSWORD,
                "use_tls": SMTP_USE_TLS,
                "timeout": SMTP_TIMEOUT_S,
            },
        }
    }
else:
    EMAIL_BACKEND = SMTP_BACKEND
    EMAIL_HOST = SMTP_HOST
    EMAIL_PORT = SMTP_PORT
    EMAIL_HOST_USER = SMTP_USER
    EMAIL_HOST_PASSWORD = SMTP_PASSWORD
    EMAIL_USE_TLS = SMTP_USE_TLS
    EMAIL_TIMEOUT = SMTP_TIMEOUT_S
{%- else %}

# This project was generated with email_backend=console: emails are written to
# the log, not sent. Switch to SMTP before real users sign up.
# (MAILERS: Django 6.1 and later; EMAIL_BACKEND: Django 5.2.)
if django.VERSION >= (6, 1):
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
{%- endif %}

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
