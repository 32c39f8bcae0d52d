"""The demo's ``NPlusOneMiddleware`` in production ``log`` mode, as the demo runs."""

from __future__ import annotations

from queries.demo_settings import *  # noqa: F403
