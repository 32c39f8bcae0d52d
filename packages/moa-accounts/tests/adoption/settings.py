"""An existing project on ``django.contrib.auth``'s User, before it adopts moa-accounts.

``settings_moa`` is the same project with ``moa_accounts`` added and
``AUTH_USER_MODEL = "moa_accounts.User"``; ``settings_own`` is the project with its
own user model, ``members.Member``, from a ``members`` app the test puts on
``PYTHONPATH``. The database is the test's: it writes an overlay
(``moa_testsupport.settings.overlay_settings``) that sets ``DATABASES``.
"""

from __future__ import annotations

# The admin needs no more than the package tests' middleware and templates.
from tests.settings import MIDDLEWARE, TEMPLATES  # noqa: F401

SECRET_KEY = "moa-accounts-adoption"
USE_TZ = True
ALLOWED_HOSTS = ["testserver"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
ROOT_URLCONF = "tests.adoption.urls"
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "tests.adoption.library",
]
