"""The Redis channel layer configuration moa-mindmap recommends."""

from __future__ import annotations

from typing import Any

# Above channels_redis' 5 s blocking read, so an idle consumer is never timed out.
SOCKET_TIMEOUT_S = 10
SOCKET_CONNECT_TIMEOUT_S = 5
HEALTH_CHECK_INTERVAL_S = 30
# channels_redis queues every message for one process under a single key, and
# drops group messages silently past ``capacity`` (100 by default): one
# broadcast to a mindmap is one message per process, however many clients it
# has there. 50 simultaneous joins queued about 100 at once; ops were lost.
# Messages still expire after ``expiry`` (60 s), which bounds the memory.
CAPACITY = 1000


def is_layer_outage(error: BaseException) -> bool:
    """Return whether ``error`` says the channel layer's server cannot be reached."""
    # redis-py's errors do not subclass OSError; the package is an optional extra.
    return isinstance(error, OSError) or type(error).__module__.startswith("redis.")


def redis_channel_layer(url: str, **config: Any) -> dict[str, Any]:
    """Return a ``CHANNEL_LAYERS`` entry for ``channels_redis`` on ``url``.

    redis-py 8 times socket reads out after 5 s by default, the same time
    ``channels_redis`` blocks waiting for a message, so idle consumers crash
    (channels_redis#422). The hosts here read for up to 10 s, check the
    connection every 30 s and give up connecting after 5 s. Each process may
    have up to 1,000 messages waiting (``capacity``; channels_redis' 100 lost
    ops when 50 clients joined at once). ``config`` is merged into ``CONFIG``
    (``capacity``, ``expiry``, ...).
    """
    host = {
        "address": url,
        "socket_timeout": SOCKET_TIMEOUT_S,
        "socket_connect_timeout": SOCKET_CONNECT_TIMEOUT_S,
        "health_check_interval": HEALTH_CHECK_INTERVAL_S,
        "socket_keepalive": True,
    }
    return {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {"hosts": [host], "capacity": CAPACITY, **config},
    }
