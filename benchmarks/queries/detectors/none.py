"""No detector: the demo without moa-queries' ``NPlusOneMiddleware``."""

from __future__ import annotations

from queries.demo_settings import *  # noqa: F403
from queries.demo_settings import MIDDLEWARE

BENCH_DETECTOR = "none"
MIDDLEWARE = [name for name in MIDDLEWARE if name != "moa_queries.middleware.NPlusOneMiddleware"]
