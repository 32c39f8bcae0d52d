"""moa-mindmap's test settings with the channel layer on the local Redis (database 1)."""

from __future__ import annotations

from moa_mindmap.layers import redis_channel_layer
from tests.settings import *  # noqa: F403

# tests.live.redis_server_env() gives each test its own prefix: suites running side by
# side share this Redis, with the same mindmap ids.
CHANNEL_LAYERS = {
    "default": redis_channel_layer("redis://127.0.0.1:6379/1", prefix="moa-mindmap-test")
}
