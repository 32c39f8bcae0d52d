"""Settings of moa-accounts' benchmark (``python -m accounts.purge``).

``DATABASE_URL`` names the PostgreSQL server; the benchmark works in a test database
of its own there (``test_<NAME>``), dropped at the end.
"""

from __future__ import annotations

import dj_database_url

SECRET_KEY = "moa-accounts-benchmarks"
DEBUG = False
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "moa_accounts",
]
AUTH_USER_MODEL = "moa_accounts.User"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
DATABASES = {"default": dj_database_url.config(default="postgres://postgres@127.0.0.1:5432/test")}
