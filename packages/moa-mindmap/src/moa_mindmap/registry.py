"""Every op kind in one place: its fields (the parser) and its handler.

Adding an op kind means one :class:`OpKind` here (a parser built from the
field rules in :mod:`moa_mindmap.protocol` and a handler in
:mod:`moa_mindmap.handlers`), a row in the docs' op table, and the editor.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from moa_mindmap import handlers
from moa_mindmap.exceptions import ProtocolError
from moa_mindmap.protocol import (
    MAX_LABEL_LENGTH,
    OP_ID_RE,
    ParsedOp,
    base_version_field,
    boolean_field,
    color_field,
    describe,
    id_field,
    index_field,
    number_field,
    text_field,
)

Args = dict[str, Any]


@dataclass(frozen=True)
class OpKind:
    """One op kind: ``parse`` turns a frame into ``args``, ``apply`` applies them."""

    name: str
    parse: Callable[[dict[str, Any]], Args]
    apply: Callable[[handlers.Batch, Args], handlers.Changes]


def _parse_node_create(frame: dict[str, Any]) -> Args:
    args: Args = {
        "parent": id_field(frame, "parent", nullable=True),
        "text": text_field(frame, "text"),
        "x": number_field(frame, "x", 0),
        "y": number_field(frame, "y", 0),
    }
    if "color" in frame:
        args["color"] = color_field(frame)
    args["index"] = index_field(frame)
    return args


def _parse_node_update(frame: dict[str, Any]) -> Args:
    args: Args = {"node": id_field(frame, "node"), "base_version": base_version_field(frame)}
    if "text" in frame:
        args["text"] = text_field(frame, "text")
    if "color" in frame:
        args["color"] = color_field(frame)
    if "collapsed" in frame:
        args["collapsed"] = boolean_field(frame, "collapsed")
    if len(args) == 2:
        raise ProtocolError("node.update needs 'text', 'color' or 'collapsed'.")
    return args


def _parse_node_move(frame: dict[str, Any]) -> Args:
    args: Args = {
        "node": id_field(frame, "node"),
        "base_version": base_version_field(frame),
        "x": number_field(frame, "x"),
        "y": number_field(frame, "y"),
    }
    if "parent" in frame:
        args["parent"] = id_field(frame, "parent", nullable=True)
    args["index"] = index_field(frame)
    return args


def _parse_node_delete(frame: dict[str, Any]) -> Args:
    return {"node": id_field(frame, "node"), "base_version": base_version_field(frame)}


def _parse_edge_create(frame: dict[str, Any]) -> Args:
    return {
        "source": id_field(frame, "source"),
        "target": id_field(frame, "target"),
        "label": text_field(frame, "label", MAX_LABEL_LENGTH),
    }


def _parse_edge_delete(frame: dict[str, Any]) -> Args:
    return {"edge": id_field(frame, "edge")}


OP_KINDS: dict[str, OpKind] = {
    kind.name: kind
    for kind in (
        OpKind("node.create", _parse_node_create, handlers.create_node),
        OpKind("node.update", _parse_node_update, handlers.update_node),
        OpKind("node.move", _parse_node_move, handlers.move_node),
        OpKind("node.delete", _parse_node_delete, handlers.delete_node),
        OpKind("edge.create", _parse_edge_create, handlers.create_edge),
        OpKind("edge.delete", _parse_edge_delete, handlers.delete_edge),
    )
}


def parse_op(frame: dict[str, Any]) -> ParsedOp:
    """Validate an ``op`` frame with its kind's parser; return it as a :class:`ParsedOp`."""
    op_id = frame.get("id")
    if not isinstance(op_id, str) or not OP_ID_RE.fullmatch(op_id):
        raise ProtocolError("'id' must be a client op id: 1-64 letters, digits or '_.:-'.")
    name = frame.get("op")
    kind = OP_KINDS.get(name) if isinstance(name, str) else None
    if kind is None:
        raise ProtocolError(
            f"Unknown op {describe(name)}; expected one of {', '.join(OP_KINDS)}.",
            code="unknown_op",
        )
    return ParsedOp(kind=kind.name, id=op_id, args=kind.parse(frame))


def apply_op_kind(batch: handlers.Batch, op: ParsedOp) -> handlers.Changes:
    """Apply ``op`` with its kind's handler; return the changes it made."""
    return OP_KINDS[op.kind].apply(batch, op.args)
