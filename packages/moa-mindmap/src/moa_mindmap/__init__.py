"""A real-time collaborative mindmap on Django Channels."""

from __future__ import annotations

from moa_mindmap.revocation import aaccess_changed, access_changed

__all__ = ["aaccess_changed", "access_changed"]
