"""Settings every environment shares. Anything a deployment changes comes from the environment."""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
import django
from moa_mindmap.layers import redis_channel_layer

from teammoa.settings.environment import (
    env_bool,
    env_int,
    env_list,
    env_path,
    env_str,
)

BASE_DIR = Path(__file__).resolve().parent.parent.parent
PROJECT_DIR = BASE_DIR / "teammoa"

SECRET_KEY = env_str("DJANGO_SECRET_KEY", "")
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["example.com"])
# Where the admin lives (urls.py). Scanners try /admin/: in production, give it a
# path nobody guesses, such as "staff-3f9c2a/".
ADMIN_URL = env_path("DJANGO_ADMIN_URL", "admin/")

INSTALLED_APPS = [
    # First, so that runserver is daphne's and serves WebSockets too (moa_ops.W002);
    # unlike "daphne" here, it imports Twisted only when runserver runs.
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
    # The task queue in the database that the `worker` service (compose.yaml) runs.
    "django_tasks_db",
    "moa_mindmap",
]
# Django 6 has the tasks framework; on Django 5.2 it is the django-tasks backport.
if django.VERSION < (6, 0):
    INSTALLED_APPS.append("django_tasks")

MIDDLEWARE = [
    # First: answers health probes before ALLOWED_HOSTS and HTTPS redirects.
    "moa_ops.middleware.HealthProbeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy (CONTENT_SECURITY_POLICY_DIRECTIVES below): Django's own
    # from Django 6.0, django-csp's on Django 5.2.
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
    # Last, so it sees the view's queries only: reports N+1 queries with the
    # line that caused them, in the mode MOA_QUERIES_NPLUSONE_MODE sets per
    # environment (warn locally, raise in tests, log in production).
    "moa_queries.middleware.NPlusOneMiddleware",
]

# Content-Security-Policy: scripts, styles and connections (the mindmap's
# WebSocket: 'self' covers ws:// and wss:// to this host) come from this site
# only; images also from data: URLs (the mindmap's PNG export). No inline
# script or style runs unless it carries the response's nonce (the debug
# toolbar's do), no plugin loads, no other site frames a page, forms post here.
# This is the one policy; the lines after it hand it to the middleware in use.
# The nonce placeholder: a member of Django's CSP enum, or django-csp's own object.
CSP_NONCE: object
if django.VERSION >= (6, 0):
    from django.utils.csp import CSP

    CSP_NONCE = CSP.NONCE
else:
    from csp.constants import NONCE as CSP_NONCE

CONTENT_SECURITY_POLICY_DIRECTIVES = {
    "default-src": ["'self'"],
    "script-src": ["'self'", CSP_NONCE],
    "style-src": ["'self'", CSP_NONCE],
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
    feature: []
    for feature in (
        "accelerometer",
        "camera",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
    )
}

ROOT_URLCONF = "teammoa.urls"
ASGI_APPLICATION = "teammoa.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PROJECT_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                # Django 6: the CSP nonce in templates, for an inline <script> or
                # <style> that must run (django-csp's request.csp_nonce needs none).
                *(["django.template.context_processors.csp"] if django.VERSION >= (6, 0) else []),
            ],
        },
    },
]

# SQLite unless DATABASE_URL says otherwise (postgres://user:password@host:5432/name).
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_health_checks=True,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# moa-accounts: deleting a user soft-deletes it, and a username or email is
# unique among live users only, so a never-activated signup frees both.
AUTH_USER_MODEL = "moa_accounts.User"
# Failed logins (login page, admin, any authenticate()) are throttled per account
# and client in the default cache; REMOTE_ADDR is the client's behind nginx.
AUTHENTICATION_BACKENDS = ["moa_accounts.backends.ThrottledModelBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# One process shares groups in memory; with REDIS_URL every process does, through
# moa-mindmap's Redis layer (production.py uses it too). Its hosts read for 10 s:
# redis-py 8 gives up after 5 s, exactly as long as channels_redis waits for a
# message, and idle WebSockets would be closed with 1011 (channels_redis#422).
REDIS_URL = env_str("REDIS_URL", "")
CHANNEL_LAYERS = {
    "default": (
        redis_channel_layer(REDIS_URL)
        if REDIS_URL
        else {"BACKEND": "channels.layers.InMemoryChannelLayer"}
    )
}

# Argon2 (OWASP's first choice) for new and changed passwords; the others still
# check passwords stored before, and upgrade them at the next login.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# The project's own static files (css/site.css); the apps bring theirs.
STATICFILES_DIRS = [PROJECT_DIR / "static"]
# Where collectstatic writes. The image collects into /app/staticfiles, and each
# app process reads its manifest there; compose's `static` job sets
# DJANGO_STATIC_ROOT to the volume nginx serves (compose.yaml).
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT") or BASE_DIR / "staticfiles")

# Uploaded files (FileField, ImageField) and where they are served. Under runserver
# they land in media/ beside manage.py (urls.py serves them while DEBUG is on); the
# image sets DJANGO_MEDIA_ROOT to the `media` volume that nginx serves at /media/
# (compose.yaml).
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("DJANGO_MEDIA_ROOT") or BASE_DIR / "media")

# Each environment chooses its mail backend (local, test, production).
DEFAULT_FROM_EMAIL = env_str("DJANGO_DEFAULT_FROM_EMAIL", "noreply@example.com")

# moa-ops: `manage.py drain` writes a drain file; readiness answers 503 while it exists.
# Unset, moa-ops keeps it in a directory only this user can open (<tmp>/moa-ops-<uid>/):
# run `drain` as the user the servers run as, or set MOA_OPS_DRAIN_FILE for both.
if "MOA_OPS_DRAIN_FILE" in os.environ:
    MOA_OPS_DRAIN_FILE = env_str("MOA_OPS_DRAIN_FILE")
MOA_OPS_DRAIN_TIMEOUT = env_int("MOA_OPS_DRAIN_TIMEOUT", 15)

# moa-signup: activation links expire after as many days as the scheduled
# `delete_unverified_users --days 3` waits before deleting those accounts, and
# activating logs the new user in.
MOA_SIGNUP_ACTIVATION_DAYS = 3
MOA_SIGNUP_LOGIN_AFTER_ACTIVATION = True
# "inline": the signup request sends the activation email itself (runserver, the
# tests); "task" (compose.yaml): it queues the email in the signup's transaction
# and the `worker` service sends it, retrying a failed send.
MOA_SIGNUP_DELIVERY = env_str("MOA_SIGNUP_DELIVERY", "inline")
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("DJANGO_LOG_LEVEL", "INFO")},
}
