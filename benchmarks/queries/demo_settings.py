"""The demo's settings for the detector benchmark: DEBUG off, SQLite in memory.

As the demo runs in production: its ``NPlusOneMiddleware`` in ``log`` mode. Each
detector the benchmark compares has its module in ``queries/detectors/`` on top of
this one; ``BENCH_DETECTOR`` is the name ``team_list`` reports. The demo
(``examples/teammoa``) must be on ``PYTHONPATH``.
"""

from __future__ import annotations

from teammoa.settings.demo import *  # noqa: F403

BENCH_DETECTOR = "moa_log"
DEBUG = False
ALLOWED_HOSTS = ["testserver"]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGGING = {"version": 1, "disable_existing_loggers": False}
MOA_QUERIES_NPLUSONE_MODE = "log"
