"""Settings for moa-queries' tests; MOA_TEST_DB picks the database."""

from __future__ import annotations

from moa_testsupport.databases import databases_from_env

SECRET_KEY = "moa-queries-tests"
DEBUG = False
ALLOWED_HOSTS = ["testserver"]
USE_TZ = True
ROOT_URLCONF = "tests.urls"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "moa_queries",
    "tests.testapp",
]
MIDDLEWARE = ["moa_queries.middleware.NPlusOneMiddleware"]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
    }
]

DATABASES = databases_from_env("moa_queries")
# A second database, to show rows from another alias are fetched from it.
DATABASES["other"] = {
    "ENGINE": "django.db.backends.sqlite3",
    "NAME": ":memory:",
    "TEST": {"NAME": "file:moa_queries_other?mode=memory&cache=shared"},
}

MOA_QUERIES_NPLUSONE_MODE = "raise"
