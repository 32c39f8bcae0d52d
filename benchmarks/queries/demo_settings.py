"""The demo's settings with one N+1 detector chosen by ``BENCH_DETECTOR``, DEBUG off.

- ``none``: no detector (``NPlusOneMiddleware`` removed);
- ``moa_log``: the demo's ``NPlusOneMiddleware`` in production ``log`` mode;
- ``moa_raise``: the same middleware in ``raise`` mode (as in tests);
- ``zeal``: django-zeal's app and middleware instead of moa-queries'.

An in-memory SQLite database, so the page's cost is Django's and the detector's.
"""

from __future__ import annotations

import os

from teammoa.settings.demo import *  # noqa: F403
from teammoa.settings.demo import INSTALLED_APPS, MIDDLEWARE

DETECTOR = os.environ.get("BENCH_DETECTOR", "none")
DETECTORS = ("none", "moa_log", "moa_raise", "zeal")
if DETECTOR not in DETECTORS:
    raise ValueError(f"BENCH_DETECTOR must be one of {DETECTORS}, not {DETECTOR!r}")

DEBUG = False
ALLOWED_HOSTS = ["testserver"]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGGING = {"version": 1, "disable_existing_loggers": False}

_OURS = "moa_queries.middleware.NPlusOneMiddleware"
MIDDLEWARE = [name for name in MIDDLEWARE if DETECTOR.startswith("moa") or name != _OURS]
if DETECTOR == "zeal":
    INSTALLED_APPS = [*INSTALLED_APPS, "zeal"]
    MIDDLEWARE = [*MIDDLEWARE, "zeal.middleware.zeal_middleware"]
MOA_QUERIES_NPLUSONE_MODE = "raise" if DETECTOR == "moa_raise" else "log"
