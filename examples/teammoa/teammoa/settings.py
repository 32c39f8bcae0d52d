"""Settings of the TeamMoa demo: the embedded defaults (SQLite, in-memory layer)."""

from __future__ import annotations

import os
from pathlib import Path

import django

from moa_mindmap.conf import server_frame_limit_bytes

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "demo-only-not-secret")
DEBUG = os.environ.get("DJANGO_DEBUG", "1") == "1"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = [
    # First: runserver is then daphne's and serves HTTP and WebSockets (moa_ops.W002);
    # Twisted is imported only when runserver runs.
    "moa_ops.devserver",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "moa_ops",
    "moa_accounts",
    "moa_queries",
    "moa_signup",
    "moa_mindmap",
    "teams",
]

MIDDLEWARE = [
    "moa_ops.middleware.HealthProbeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy (below): Django's own from 6.0, django-csp's on 5.2.
    (
        "django.middleware.csp.ContentSecurityPolicyMiddleware"
        if django.VERSION >= (6, 0)
        else "csp.middleware.CSPMiddleware"
    ),
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "moa_queries.middleware.NPlusOneMiddleware",
]
# warn while developing; the demo's tests run with "raise".
MOA_QUERIES_NPLUSONE_MODE = os.environ.get("MOA_QUERIES_NPLUSONE_MODE", "warn")

# Usernames and emails are unique among live accounts only (moa-accounts).
AUTH_USER_MODEL = "moa_accounts.User"
# Failed logins are throttled per account and per client (login page and admin).
AUTHENTICATION_BACKENDS = ["moa_accounts.backends.ThrottledModelBackend"]
MOA_ACCOUNTS_UNVERIFIED_USER_DAYS = 3
# A team's mindmap is open to the team's members (and its owner).
MOA_MINDMAP_PERMISSION = "teams.permissions.team_member_or_owner"

# Content-Security-Policy: scripts, styles and connections (the mindmap's WebSocket:
# 'self' covers ws:// and wss:// to this host) from this site only, images also from
# data: URLs (the mindmap's PNG export); no inline script or style, no plugin, no
# framing by another site, forms post here only. One policy, handed to whichever
# middleware runs.
CONTENT_SECURITY_POLICY_DIRECTIVES = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'"],
}
if django.VERSION >= (6, 0):
    SECURE_CSP = CONTENT_SECURITY_POLICY_DIRECTIVES
else:
    CONTENT_SECURITY_POLICY = {"DIRECTIVES": CONTENT_SECURITY_POLICY_DIRECTIVES}
# Permissions-Policy (django-permissions-policy): no page may use these.
PERMISSIONS_POLICY: dict[str, list[str]] = {
    feature: [] for feature in ("camera", "geolocation", "microphone", "payment", "usb")
}

ROOT_URLCONF = "teammoa.urls"
ASGI_APPLICATION = "teammoa.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # The demo's layout and its overrides of Django's, moa-signup's and moa-mindmap's
        # templates: DIRS come before every app's templates (admin ships registration/*).
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("TEAMMOA_DB", str(BASE_DIR / "db.sqlite3")),
    }
}
CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
# daphne's runserver reads at most this much of a WebSocket message (its own
# default is 1 MiB); the deploy check moa_mindmap.W002 reads the last line.
MOA_MINDMAP_MAX_MESSAGE_BYTES = 16_384
DAPHNE_WEBSOCKET_MAX_MESSAGE_SIZE = server_frame_limit_bytes(MOA_MINDMAP_MAX_MESSAGE_BYTES)
DAPHNE_WEBSOCKET_MAX_FRAME_SIZE = DAPHNE_WEBSOCKET_MAX_MESSAGE_SIZE
MOA_MINDMAP_SERVER_MAX_FRAME_BYTES = DAPHNE_WEBSOCKET_MAX_MESSAGE_SIZE
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Activation emails print to the console. Django 6.1 configures mail through MAILERS
# (its EMAIL_* settings are deprecated); a console mailer needs no timeout.
if django.VERSION >= (6, 1):
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    EMAIL_TIMEOUT = 10

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Django's defaults print tracebacks of ordinary 403s (PermissionDenied) and print
# nothing at all with DEBUG off; the demo's terminal shows requests either way.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "omit_client_error_traceback": {"()": "teammoa.log_filters.OmitClientErrorTraceback"},
    },
    "formatters": {
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        },
    },
    "handlers": {
        "console": {"level": "INFO", "class": "logging.StreamHandler"},
        "django.server": {
            "level": "INFO",
            "class": "logging.StreamHandler",
            "formatter": "django.server",
        },
    },
    "loggers": {
        "django": {"handlers": ["console"], "level": "INFO"},
        "django.request": {"filters": ["omit_client_error_traceback"]},
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False},
    },
}

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "team_list"
LOGOUT_REDIRECT_URL = "index"
MOA_SIGNUP_LOGIN_AFTER_ACTIVATION = True
