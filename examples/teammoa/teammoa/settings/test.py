"""Settings for the test suite: fast, self-contained, strict.

The database and channel layer come from DATABASE_URL and REDIS_URL as in base:
unset, the tests run on SQLite and the in-memory layer; CI sets both.
"""

from __future__ import annotations

from teammoa.settings.base import *  # noqa: F403
from teammoa.settings.mail import default_mailer

SECRET_KEY = "tests-only-secret-key-never-use-this-key-in-production"
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Files the tests save stay in memory: no test run leaves uploads in MEDIA_ROOT.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# An N+1 query in a view raises NPlusOneError, so the test that reaches it fails.
MOA_QUERIES_NPLUSONE_MODE = "raise"

# Sent emails land in django.core.mail.outbox.
globals().update(default_mailer("django.core.mail.backends.locmem.EmailBackend"))
