"""Exceptions of moa-mindmap; each carries the ``code`` of its error frame."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, SuspiciousOperation


class OpError(Exception):
    """An op or frame that is refused; nothing was changed."""

    code = "invalid"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class ProtocolError(OpError, SuspiciousOperation):
    """A frame that does not follow the protocol (bad JSON, types, fields)."""

    code = "invalid_frame"


class EditForbidden(OpError, PermissionDenied):
    """The user may view the mindmap but not edit it."""

    code = "forbidden"


class LimitExceeded(OpError):
    """A size, length, rate or count limit was hit."""


class NotFound(OpError):
    """The op names a node or edge that is not in this mindmap."""

    code = "not_found"


class StaleVersion(OpError):
    """The op's ``base_version`` is not the node's current version."""

    code = "stale"

    def __init__(self, message: str, *, node: dict[str, Any]) -> None:
        super().__init__(message)
        self.node = node
