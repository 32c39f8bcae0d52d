"""Settings of moa-mindmap, read from ``django.conf.settings`` on every access."""

from __future__ import annotations

import os

from django.conf import settings

DEFAULT_PERMISSION = "moa_mindmap.permissions.is_owner_or_member"


class Settings:
    """One typed property per ``MOA_MINDMAP_*`` setting, with its default beside it."""

    @property
    def MOA_MINDMAP_PERMISSION(self) -> str:
        """Dotted path to ``(user, mindmap, action) -> bool``; actions view, edit."""
        return getattr(settings, "MOA_MINDMAP_PERMISSION", DEFAULT_PERMISSION)

    @property
    def MOA_MINDMAP_MAX_MESSAGE_BYTES(self) -> int:
        """Largest WebSocket frame a client may send, in bytes."""
        return getattr(settings, "MOA_MINDMAP_MAX_MESSAGE_BYTES", 16_384)

    @property
    def MOA_MINDMAP_MAX_TEXT_LENGTH(self) -> int:
        """Longest node text or edge label, in characters."""
        return getattr(settings, "MOA_MINDMAP_MAX_TEXT_LENGTH", 500)

    @property
    def MOA_MINDMAP_MAX_OPS_PER_SECOND(self) -> int:
        """Ops one connection may send per second (a burst of as many is allowed)."""
        return getattr(settings, "MOA_MINDMAP_MAX_OPS_PER_SECOND", 30)

    @property
    def MOA_MINDMAP_MAX_NODES(self) -> int:
        """Most nodes one mindmap may hold."""
        return getattr(settings, "MOA_MINDMAP_MAX_NODES", 1000)

    @property
    def MOA_MINDMAP_OP_LOG_RETENTION(self) -> int:
        """Ops kept per mindmap for ``sync``; older ones are pruned."""
        return getattr(settings, "MOA_MINDMAP_OP_LOG_RETENTION", 1000)

    @property
    def MOA_MINDMAP_CURSOR_INTERVAL(self) -> float:
        """Seconds between two cursor relays of one mindmap's connections in a process."""
        return getattr(settings, "MOA_MINDMAP_CURSOR_INTERVAL", 0.05)

    @property
    def MOA_MINDMAP_HEARTBEAT_INTERVAL(self) -> float:
        """Seconds between presence heartbeats (clients expire silent peers)."""
        return getattr(settings, "MOA_MINDMAP_HEARTBEAT_INTERVAL", 20.0)

    @property
    def MOA_MINDMAP_MAX_FRAMES_PER_SECOND(self) -> int:
        """Frames of any type one connection may send per second (bursts of as many).

        Over it, the connection is closed with 4429.
        """
        return getattr(settings, "MOA_MINDMAP_MAX_FRAMES_PER_SECOND", 100)

    @property
    def MOA_MINDMAP_SYNC_INTERVAL_S(self) -> float:
        """Seconds between two ``sync`` answers to one connection; syncs in between merge."""
        return getattr(settings, "MOA_MINDMAP_SYNC_INTERVAL_S", 1.0)

    @property
    def MOA_MINDMAP_MAX_OUTBOX_BYTES(self) -> int:
        """Bytes one connection may have queued behind a send the server has not taken.

        Over it, the reader is behind: the connection is closed with 4408.
        """
        return getattr(settings, "MOA_MINDMAP_MAX_OUTBOX_BYTES", 1_048_576)

    @property
    def MOA_MINDMAP_SEND_TIMEOUT_S(self) -> float:
        """Seconds the server may hold one send back (a client that does not read)."""
        return getattr(settings, "MOA_MINDMAP_SEND_TIMEOUT_S", 10.0)

    @property
    def MOA_MINDMAP_MAX_CONNECTIONS_PER_USER(self) -> int:
        """Sockets one user may hold open on one mindmap, per server process."""
        return getattr(settings, "MOA_MINDMAP_MAX_CONNECTIONS_PER_USER", 10)

    @property
    def MOA_MINDMAP_SERVER_MAX_FRAME_BYTES(self) -> int | None:
        """The ASGI server's WebSocket message size limit, in bytes, if known.

        The setting when set; else the ``UVICORN_WS_MAX_SIZE`` environment
        variable (what ``uvicorn --ws-max-size`` reads); else ``None``.
        """
        value = getattr(settings, "MOA_MINDMAP_SERVER_MAX_FRAME_BYTES", None)
        if value is not None:
            return value  # type: ignore[no-any-return]
        variable = os.environ.get(UVICORN_MAX_SIZE_VARIABLE, "").strip()
        return int(variable) if variable.isdigit() else None


# uvicorn's CLI reads every option from UVICORN_<OPTION> (click's auto_envvar_prefix).
UVICORN_MAX_SIZE_VARIABLE = "UVICORN_WS_MAX_SIZE"
# The server limit recommended is this many times MOA_MINDMAP_MAX_MESSAGE_BYTES: a frame a
# little over the app's limit still gets its ``message_too_large`` error frame.
SERVER_FRAME_HEADROOM = 2


def server_frame_limit_bytes(max_message_bytes: int | None = None) -> int:
    """Return the WebSocket message size to give the ASGI server, in bytes.

    Twice ``max_message_bytes``, by default ``MOA_MINDMAP_MAX_MESSAGE_BYTES``
    (32 KiB by default): pass it as ``uvicorn --ws-max-size`` (or
    ``UVICORN_WS_MAX_SIZE``), or as daphne's runserver settings
    ``DAPHNE_WEBSOCKET_MAX_MESSAGE_SIZE`` and ``DAPHNE_WEBSOCKET_MAX_FRAME_SIZE``.
    A settings module passes its own ``MOA_MINDMAP_MAX_MESSAGE_BYTES`` (settings
    are not loaded yet while it runs).
    """
    if max_message_bytes is None:
        max_message_bytes = app_settings.MOA_MINDMAP_MAX_MESSAGE_BYTES
    return SERVER_FRAME_HEADROOM * max_message_bytes


app_settings = Settings()
