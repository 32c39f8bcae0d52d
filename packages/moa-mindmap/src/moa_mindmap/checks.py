"""System checks of moa-mindmap. Ids are stable; the docs list every one."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning
from django.utils.module_loading import import_string

POSITIVE_INTEGERS = (
    "MOA_MINDMAP_MAX_MESSAGE_BYTES",
    "MOA_MINDMAP_MAX_TEXT_LENGTH",
    "MOA_MINDMAP_MAX_OPS_PER_SECOND",
    "MOA_MINDMAP_MAX_NODES",
    "MOA_MINDMAP_OP_LOG_RETENTION",
)
POSITIVE_SECONDS = ("MOA_MINDMAP_CURSOR_INTERVAL", "MOA_MINDMAP_HEARTBEAT_INTERVAL")
REDIS_LAYERS = (
    "channels_redis.core.RedisChannelLayer",
    "channels_redis.pubsub.RedisPubSubChannelLayer",
)
# channels_redis blocks up to 5 s reading a channel; redis-py 8 times reads
# out after 5 s by default, which kills idle consumers (channels_redis#422).
BLOCKING_READ_S = 5


def check_settings(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """Validate the types and ranges of the ``MOA_MINDMAP_*`` limits."""
    errors: list[CheckMessage] = []
    for name in POSITIVE_INTEGERS:
        value = getattr(settings, name, 1)
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            errors.append(
                Error(
                    f"{name} must be a positive integer, not {value!r}.",
                    hint=f"Set {name} to a whole number above zero, or remove it.",
                    id="moa_mindmap.E001",
                )
            )
    for name in POSITIVE_SECONDS:
        value = getattr(settings, name, 1.0)
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            errors.append(
                Error(
                    f"{name} must be a positive number of seconds, not {value!r}.",
                    hint=f"Set {name} to a number of seconds such as 0.05 or 20.",
                    id="moa_mindmap.E002",
                )
            )
    return errors


def check_permission(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """Check that ``MOA_MINDMAP_PERMISSION`` names an importable callable."""
    path = getattr(settings, "MOA_MINDMAP_PERMISSION", None)
    if path is None:
        return []
    try:
        hook = import_string(path) if isinstance(path, str) else None
    except ImportError:
        hook = None
    if callable(hook):
        return []
    return [
        Error(
            f"MOA_MINDMAP_PERMISSION {path!r} is not an importable callable.",
            hint="Set it to the dotted path of a function (user, mindmap, action) -> bool.",
            id="moa_mindmap.E003",
        )
    ]


def check_redis_channel_layer(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """Warn when a Redis channel layer lets redis-py time out idle reads."""
    warnings: list[CheckMessage] = []
    layers = getattr(settings, "CHANNEL_LAYERS", None) or {}
    for alias, layer in layers.items():
        if layer.get("BACKEND") != REDIS_LAYERS[0]:
            continue
        for host in layer.get("CONFIG", {}).get("hosts", ["redis://localhost:6379"]):
            timeout = host.get("socket_timeout") if isinstance(host, dict) else None
            if isinstance(timeout, int | float) and timeout > BLOCKING_READ_S:
                continue
            warnings.append(
                Warning(
                    f"Channel layer {alias!r} may drop idle WebSockets.",
                    hint="Give each host a socket_timeout above 5 s, e.g. "
                    "moa_mindmap.layers.redis_channel_layer(url).",
                    id="moa_mindmap.W001",
                )
            )
            break
    return warnings
