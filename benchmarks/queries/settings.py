"""Settings of moa-queries' benchmarks (``python -m queries.pages``, ``queries.defaults``).

``DATABASE_URL`` picks the database; without it, SQLite in memory.
"""

from __future__ import annotations

import dj_database_url

SECRET_KEY = "moa-queries-benchmarks"
DEBUG = False
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "moa_queries",
    "queries.pages",
]
TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates"}]
DATABASES = {"default": dj_database_url.config(default="sqlite://:memory:")}
MOA_QUERIES_NPLUSONE_MODE = "raise"
