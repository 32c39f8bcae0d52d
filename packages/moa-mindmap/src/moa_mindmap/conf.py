"""Settings of moa-mindmap, read from ``django.conf.settings`` on every access."""

from __future__ import annotations

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
        """Seconds between two cursor frames relayed for one connection."""
        return getattr(settings, "MOA_MINDMAP_CURSOR_INTERVAL", 0.05)

    @property
    def MOA_MINDMAP_HEARTBEAT_INTERVAL(self) -> float:
        """Seconds between presence heartbeats (clients expire silent peers)."""
        return getattr(settings, "MOA_MINDMAP_HEARTBEAT_INTERVAL", 20.0)


app_settings = Settings()
