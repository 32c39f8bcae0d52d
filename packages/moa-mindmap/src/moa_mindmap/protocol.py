"""The wire protocol: validate the frames clients send, and shape error answers.

Version 1. Every frame is a JSON object with a ``type``. The docs
(``docs/reference/protocol.md``) are the reference; this module and the op kinds'
parsers in :mod:`moa_mindmap.registry` are what enforce it.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

from moa_mindmap.conf import app_settings
from moa_mindmap.exceptions import LimitExceeded, OpError, ProtocolError, StaleVersion

PROTOCOL_VERSION = 1
CLIENT_TYPES = ("op", "sync", "cursor", "ping")
MAX_COORDINATE = 1_000_000.0
# Patterns match the whole value (``fullmatch``): ``$`` would allow a final newline.
COLOR_RE = re.compile(r"#[0-9a-fA-F]{6}")
OP_ID_RE = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
# How deep a frame may nest: ``{"a": 1}`` is 1, ``{"a": [1]}`` is 2. Documented
# frames are flat; the bound keeps anything that walks a frame off the stack limit.
MAX_NESTING = 8
# The ``label`` column's length (``Edge.label``), whatever the text limit says.
MAX_LABEL_LENGTH = 500
# UTF-16 surrogate code points: JSON's ``"\ud800"`` decodes to one, and no
# database (nor UTF-8) can store it.
SURROGATE_RE = re.compile("[\ud800-\udfff]")
_NO_DEFAULT = object()


@dataclass(frozen=True)
class ParsedOp:
    """A validated op: ``kind``, the client op ``id`` and its ``args``.

    :func:`moa_mindmap.registry.parse_op` returns one; the stored op log
    entry is :class:`moa_mindmap.models.Op`.
    """

    kind: str
    id: str
    args: dict[str, Any] = field(default_factory=dict)


def describe(value: Any) -> str:
    """Name a client's value for an error message: a short prefix, never all of it."""
    if isinstance(value, str):
        return repr(value[:40] + "…" if len(value) > 40 else value)
    return {dict: "an object", list: "a list", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number"
    )


def _nesting_exceeds(frame: dict[str, Any], limit: int) -> bool:
    """Return whether ``frame`` nests deeper than ``limit`` (without recursion)."""
    stack: list[tuple[Any, int]] = [(frame, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > limit:
            return True
        children = value.values() if isinstance(value, dict) else value
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def decode_frame(text: str | None, data: bytes | None) -> dict[str, Any]:
    """Return the JSON object a client sent, or raise the matching error."""
    # WebSocket text is UTF-8; only an in-process caller can hand over a surrogate.
    size = len(data) if data is not None else len((text or "").encode("utf-8", "surrogatepass"))
    limit = app_settings.MOA_MINDMAP_MAX_MESSAGE_BYTES
    if size > limit:
        raise LimitExceeded(
            f"Frames may be at most {limit} bytes; this one has {size}.",
            code="message_too_large",
        )
    if data is not None:
        raise ProtocolError("Send JSON as text frames, not binary ones.")
    try:
        frame = json.loads(text or "")
    except RecursionError:
        raise ProtocolError(f"Frames may nest at most {MAX_NESTING} deep.") from None
    except ValueError:
        raise ProtocolError("The frame is not valid JSON.", code="invalid_json") from None
    if not isinstance(frame, dict):
        raise ProtocolError("A frame must be a JSON object.")
    if _nesting_exceeds(frame, MAX_NESTING):
        raise ProtocolError(f"Frames may nest at most {MAX_NESTING} deep.")
    kind = frame.get("type")
    if not isinstance(kind, str) or kind not in CLIENT_TYPES:
        raise ProtocolError(
            f"Unknown frame type {describe(kind)}; expected one of {', '.join(CLIENT_TYPES)}.",
            code="unknown_type",
        )
    return frame


def id_field(frame: dict[str, Any], name: str, *, nullable: bool = False) -> int | None:
    """Return the id ``frame[name]``: an integer from 1 to 2**63 - 1 (or null if ``nullable``)."""
    value = frame.get(name)
    if value is None and nullable:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**63:
        raise ProtocolError(f"{name!r} must be a positive integer.")
    return value


def number_field(frame: dict[str, Any], name: str, default: Any = _NO_DEFAULT) -> float:
    """Return a finite coordinate within ``MAX_COORDINATE`` (``default`` when absent)."""
    if name not in frame and default is not _NO_DEFAULT:
        return float(default)
    value = frame.get(name)
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or abs(value) > MAX_COORDINATE
    ):
        raise ProtocolError(f"{name!r} must be a number within ±{MAX_COORDINATE:g}.")
    return float(value)


def text_field(frame: dict[str, Any], name: str, max_length: int | None = None) -> str:
    """Return valid Unicode text within the text limit (and ``max_length``), NULs dropped."""
    value = frame.get(name, "")
    if not isinstance(value, str):
        raise ProtocolError(f"{name!r} must be a string.")
    if SURROGATE_RE.search(value):
        raise ProtocolError(f"{name!r} holds a lone UTF-16 surrogate; send valid Unicode.")
    limit = app_settings.MOA_MINDMAP_MAX_TEXT_LENGTH
    if max_length is not None:
        limit = min(limit, max_length)
    if len(value) > limit:
        raise LimitExceeded(
            f"{name!r} may be at most {limit} characters; it has {len(value)}.",
            code="text_too_long",
        )
    return value.replace("\x00", "")


def color_field(frame: dict[str, Any]) -> str:
    """Return the ``#rrggbb`` colour, lower-cased."""
    value = frame.get("color")
    if not isinstance(value, str) or not COLOR_RE.fullmatch(value):
        raise ProtocolError("'color' must look like '#a1b2c3'.")
    return value.lower()


def index_field(frame: dict[str, Any]) -> int | None:
    """Return the position among siblings, or ``None`` (last)."""
    value = frame.get("index")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**31:
        raise ProtocolError("'index' must be a non-negative integer.")
    return value


def base_version_field(frame: dict[str, Any]) -> int:
    """Return the node version the op was made against."""
    value = frame.get("base_version")
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**31:
        raise ProtocolError("'base_version' must be the node's version (an integer).")
    return value


def boolean_field(frame: dict[str, Any], name: str) -> bool:
    """Return ``frame[name]``, which must be ``true`` or ``false``."""
    value = frame.get(name)
    if not isinstance(value, bool):
        raise ProtocolError(f"{name!r} must be true or false.")
    return value


def parse_sync(frame: dict[str, Any]) -> int:
    """Return the ``since`` sequence number of a ``sync`` frame."""
    since = frame.get("since")
    if isinstance(since, bool) or not isinstance(since, int) or not 0 <= since < 2**63:
        raise ProtocolError("'since' must be the last sequence number you applied.")
    return since


def parse_cursor(frame: dict[str, Any]) -> tuple[float, float]:
    """Return the ``(x, y)`` of a ``cursor`` frame."""
    return number_field(frame, "x"), number_field(frame, "y")


UNAVAILABLE_MESSAGE = "The server could not apply this now; resend it."


def error_frame(error: BaseException, op_id: str | None) -> dict[str, Any]:
    """Return the frame answering a frame or op that failed with ``error``.

    A stale ``base_version`` gets a ``rejected`` frame with the node as it is
    now; any other :class:`~moa_mindmap.exceptions.OpError` an ``error`` frame
    with its code; anything else (a database error, a bug) ``unavailable``,
    which clients resend later.
    """
    if isinstance(error, StaleVersion):
        return {
            "type": "rejected",
            "id": op_id,
            "reason": error.code,
            "message": error.message,
            "node": error.node,
        }
    if isinstance(error, OpError):
        return {"type": "error", "code": error.code, "message": error.message, "id": op_id}
    return {"type": "error", "code": "unavailable", "message": UNAVAILABLE_MESSAGE, "id": op_id}
