"""Settings of a project that uses the abstract bases but not the moa_accounts app."""

from __future__ import annotations

SECRET_KEY = "moa-accounts-standalone"
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "tests.standalone",
]
AUTH_USER_MODEL = "standalone.Member"
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
