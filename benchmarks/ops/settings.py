"""A production-like project for the moa-ops benchmark: the full default middleware stack.

No cache or channel layer beyond Django's defaults (``settings_redis`` adds both on the
local Redis). ``bench_ops.py`` sets ``DATABASES`` for each run, a fresh SQLite file or
PostgreSQL database, through ``moa_testsupport.settings.overlay_settings()``.
"""

from __future__ import annotations

SECRET_KEY = "benchmark-only"
DEBUG = False
ALLOWED_HOSTS = ["bench.example.com"]
USE_TZ = True
ROOT_URLCONF = "ops.urls"
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "moa_ops",
]
# Django's startproject stack, with the probe middleware first.
MIDDLEWARE = [
    "moa_ops.middleware.HealthProbeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.request",
            ]
        },
    }
]
DATABASES: dict[str, dict[str, object]] = {}
