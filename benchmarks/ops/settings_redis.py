"""The moa-ops benchmark's project with its cache and channel layer on the local Redis."""

from __future__ import annotations

from ops.settings import *  # noqa: F403

# A database of its own: the tests use 0 and 1, the mindmap benchmark 2.
_REDIS_URL = "redis://127.0.0.1:6379/3"
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _REDIS_URL}
}
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {"hosts": [_REDIS_URL]},
    }
}
