"""django-zeal's app and middleware instead of moa-queries' ``NPlusOneMiddleware``."""

from __future__ import annotations

from queries.demo_settings import *  # noqa: F403
from queries.demo_settings import INSTALLED_APPS, MIDDLEWARE

BENCH_DETECTOR = "zeal"
INSTALLED_APPS = [*INSTALLED_APPS, "zeal"]
MIDDLEWARE = [
    *(name for name in MIDDLEWARE if name != "moa_queries.middleware.NPlusOneMiddleware"),
    "zeal.middleware.zeal_middleware",
]
