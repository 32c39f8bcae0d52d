"""An existing project, before and after it adopts moa-accounts.

``MOA_ADOPTION_STAGE`` says which: ``auth`` (the project as it was, on
``django.contrib.auth``'s User), ``moa`` (``moa_accounts`` added and
``AUTH_USER_MODEL = "moa_accounts.User"``) or ``own`` (the project's own user
model, ``members.Member``, from a ``members`` app on ``PYTHONPATH``).
``MOA_ADOPTION_DB`` is a database URL, or the path of an SQLite file.
"""

from __future__ import annotations

import os

import dj_database_url

# The admin needs no more than the package tests' middleware and templates.
from tests.settings import MIDDLEWARE, TEMPLATES

__all__ = ["MIDDLEWARE", "TEMPLATES"]

STAGE = os.environ["MOA_ADOPTION_STAGE"]
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
if STAGE == "moa":
    INSTALLED_APPS.append("moa_accounts")
    AUTH_USER_MODEL = "moa_accounts.User"
elif STAGE == "own":
    # moa_accounts for its commands, admin and translations; its User is swapped out.
    INSTALLED_APPS += ["moa_accounts", "members"]
    AUTH_USER_MODEL = "members.Member"
_database = os.environ["MOA_ADOPTION_DB"]
if "://" in _database:
    DATABASES = {"default": dict(dj_database_url.parse(_database))}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.mysql":
        DATABASES["default"]["OPTIONS"] = {"charset": "utf8mb4"}
else:
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": _database}}
