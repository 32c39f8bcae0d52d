"""moa-ops' test settings with the cache and the channel layer on the local Redis."""

from __future__ import annotations

from tests.settings import *  # noqa: F403

_REDIS_URL = "redis://127.0.0.1:6379/0"
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": _REDIS_URL,
        "OPTIONS": {"socket_timeout": 5, "socket_connect_timeout": 5},
    }
}
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {"hosts": [_REDIS_URL]},
    }
}
