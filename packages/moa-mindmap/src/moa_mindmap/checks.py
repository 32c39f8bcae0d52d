"""System checks of moa-mindmap. Ids are stable; the docs list every one."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.utils.module_loading import import_string

from moa_mindmap.conf import UVICORN_MAX_SIZE_VARIABLE, app_settings, server_frame_limit_bytes

# Every id, once: docs/reference/mindmap.md lists each (tests/test_checks.py asserts it).
NOT_POSITIVE_INTEGER_ID = "moa_mindmap.E001"
NOT_POSITIVE_SECONDS_ID = "moa_mindmap.E002"
BAD_PERMISSION_ID = "moa_mindmap.E003"
REDIS_READ_TIMEOUT_ID = "moa_mindmap.W001"
FRAME_LIMIT_UNKNOWN_ID = "moa_mindmap.W002"
FRAME_LIMIT_FAR_ABOVE_ID = "moa_mindmap.W003"
FRAME_LIMIT_TOO_LOW_ID = "moa_mindmap.W004"

POSITIVE_INTEGERS = (
    "MOA_MINDMAP_MAX_MESSAGE_BYTES",
    "MOA_MINDMAP_MAX_TEXT_LENGTH",
    "MOA_MINDMAP_MAX_OPS_PER_SECOND",
    "MOA_MINDMAP_MAX_NODES",
    "MOA_MINDMAP_OP_LOG_RETENTION",
    "MOA_MINDMAP_MAX_FRAMES_PER_SECOND",
    "MOA_MINDMAP_MAX_OUTBOX_BYTES",
    "MOA_MINDMAP_MAX_CONNECTIONS_PER_USER",
)
POSITIVE_SECONDS = (
    "MOA_MINDMAP_CURSOR_INTERVAL",
    "MOA_MINDMAP_HEARTBEAT_INTERVAL",
    "MOA_MINDMAP_SYNC_INTERVAL_S",
    "MOA_MINDMAP_SEND_TIMEOUT_S",
)
# A server limit this many times MOA_MINDMAP_MAX_MESSAGE_BYTES or more is "far above".
FAR_ABOVE = 8

W002 = Warning(
    "The ASGI server's WebSocket frame limit is unknown.",
    hint=(
        "Run uvicorn with UVICORN_WS_MAX_SIZE set to "
        "moa_mindmap.conf.server_frame_limit_bytes(), or set "
        "MOA_MINDMAP_SERVER_MAX_FRAME_BYTES to your server's limit."
    ),
    id=FRAME_LIMIT_UNKNOWN_ID,
)
REDIS_LAYERS = (
    "channels_redis.core.RedisChannelLayer",
    "channels_redis.pubsub.RedisPubSubChannelLayer",
)
# channels_redis blocks up to 5 s reading a channel; redis-py 8 times reads
# out after 5 s by default, which kills idle consumers (channels_redis#422).
BLOCKING_READ_S = 5


def _checks_moa_mindmap(app_configs: Sequence[AppConfig] | None) -> bool:
    """Whether ``manage.py check`` asked about moa-mindmap's configuration."""
    return app_configs is None or any(config.name == "moa_mindmap" for config in app_configs)


def check_settings(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """Validate the types and ranges of the ``MOA_MINDMAP_*`` limits, as ``conf`` reads them."""
    if not _checks_moa_mindmap(app_configs):
        return []
    errors: list[CheckMessage] = []
    for name in POSITIVE_INTEGERS:
        value: object = getattr(app_settings, name)
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            errors.append(
                Error(
                    f"{name} must be a positive integer, not {value!r}.",
                    hint=f"Set {name} to a whole number above zero, or remove it.",
                    id=NOT_POSITIVE_INTEGER_ID,
                )
            )
    for name in POSITIVE_SECONDS:
        value = getattr(app_settings, name)
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            errors.append(
                Error(
                    f"{name} must be a positive number of seconds, not {value!r}.",
                    hint=f"Set {name} to a number of seconds such as 0.05 or 20.",
                    id=NOT_POSITIVE_SECONDS_ID,
                )
            )
    return errors


def check_permission(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """Check that ``MOA_MINDMAP_PERMISSION`` names an importable callable."""
    if not _checks_moa_mindmap(app_configs):
        return []
    path: object = app_settings.MOA_MINDMAP_PERMISSION
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
            id=BAD_PERMISSION_ID,
        )
    ]


def check_redis_channel_layer(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """Warn when a Redis channel layer lets redis-py time out idle reads."""
    if not _checks_moa_mindmap(app_configs):
        return []
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
                    id=REDIS_READ_TIMEOUT_ID,
                )
            )
            break
    return warnings


@register(Tags.security, deploy=True)
def check_server_frame_limit(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """Warn when the server reads frames far larger than the app accepts, or smaller.

    The server's limit is ``MOA_MINDMAP_SERVER_MAX_FRAME_BYTES`` when set, else
    the ``UVICORN_WS_MAX_SIZE`` environment variable.
    """
    if not _checks_moa_mindmap(app_configs):
        return []
    # Typed as conf promises; checked because a settings module can break the promise.
    limit: object = app_settings.MOA_MINDMAP_SERVER_MAX_FRAME_BYTES
    if limit is None:
        return [W002]
    needed: object = app_settings.MOA_MINDMAP_MAX_MESSAGE_BYTES
    if not isinstance(limit, int) or isinstance(limit, bool) or not isinstance(needed, int):
        return [W002]
    source = (
        "MOA_MINDMAP_SERVER_MAX_FRAME_BYTES"
        if getattr(settings, "MOA_MINDMAP_SERVER_MAX_FRAME_BYTES", None) is not None
        else UVICORN_MAX_SIZE_VARIABLE
    )
    if limit >= FAR_ABOVE * needed:
        return [
            Warning(
                f"The server reads WebSocket frames of up to {limit} bytes.",
                hint=f"Lower {source} to {server_frame_limit_bytes()} "
                "(moa_mindmap.conf.server_frame_limit_bytes()).",
                id=FRAME_LIMIT_FAR_ABOVE_ID,
            )
        ]
    if limit < needed:
        return [
            Warning(
                f"The server refuses frames the app accepts ({limit} < {needed}).",
                hint=f"Raise {source} to {server_frame_limit_bytes()} "
                "(moa_mindmap.conf.server_frame_limit_bytes()).",
                id=FRAME_LIMIT_TOO_LOW_ID,
            )
        ]
    return []
