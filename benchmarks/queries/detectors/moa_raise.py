"""The demo's ``NPlusOneMiddleware`` in ``raise`` mode, as in tests."""

from __future__ import annotations

from queries.demo_settings import *  # noqa: F403

BENCH_DETECTOR = "moa_raise"
MOA_QUERIES_NPLUSONE_MODE = "raise"
