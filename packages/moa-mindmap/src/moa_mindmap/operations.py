"""Apply ops in a transaction, number them, and read state for clients.

Every function here is synchronous and has an ``a``-prefixed async twin for
consumers. The database is the source of truth: an op is applied, numbered
and logged in one transaction, and only then broadcast.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from channels.db import database_sync_to_async
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.db.models.functions import Now

from moa_mindmap.conf import app_settings
from moa_mindmap.exceptions import (
    DuplicateOp,
    EditForbidden,
    LimitExceeded,
    NotFound,
    OpError,
    StaleVersion,
)
from moa_mindmap.models import Edge, Mindmap, Node, Op
from moa_mindmap.ordering import key_between
from moa_mindmap.permissions import has_permission
from moa_mindmap.protocol import PROTOCOL_VERSION
from moa_mindmap.protocol import Op as ParsedOp

# Replaying more than this many ops costs more than a fresh snapshot.
MAX_REPLAY = 500
# Prune the op log every this many ops rather than on every op.
PRUNE_EVERY = 50

Changes = dict[str, list[Any]]


def _changes() -> Changes:
    return {"nodes": [], "edges": [], "deleted_nodes": [], "deleted_edges": []}


def _get_node(mindmap_id: int, node_id: int) -> Node:
    try:
        return Node.objects.get(mindmap_id=mindmap_id, pk=node_id)
    except Node.DoesNotExist:
        raise NotFound(f"Node {node_id} is not in this mindmap.") from None


def _check_version(node: Node, base_version: int) -> None:
    if node.version != base_version:
        raise StaleVersion(
            f"Node {node.pk} is at version {node.version}, not {base_version}.",
            node=node.as_dict(),
        )


def _order_key(
    mindmap_id: int, parent_id: int | None, index: int | None, exclude: int | None = None
) -> str:
    """Return the order key placing a node at ``index`` among the siblings."""
    siblings = Node.objects.filter(mindmap_id=mindmap_id, parent_id=parent_id)
    if exclude is not None:
        siblings = siblings.exclude(pk=exclude)
    keys = sorted(siblings.values_list("order", flat=True))
    position = len(keys) if index is None else min(index, len(keys))
    before = keys[position - 1] if position > 0 else None
    after = keys[position] if position < len(keys) else None
    if before is not None and after is not None and before >= after:
        # Equal keys (children re-parented by a delete): sort after the tie.
        greater = [key for key in keys[position:] if key > before]
        after = greater[0] if greater else None
    return key_between(before, after)


def _create_node(mindmap_id: int, args: dict[str, Any]) -> Changes:
    limit = app_settings.MOA_MINDMAP_MAX_NODES
    if Node.objects.filter(mindmap_id=mindmap_id).count() >= limit:
        raise LimitExceeded(f"A mindmap may hold at most {limit} nodes.", code="too_many_nodes")
    parent_id = args["parent"]
    if parent_id is not None:
        _get_node(mindmap_id, parent_id)
    node = Node.objects.create(
        mindmap_id=mindmap_id,
        parent_id=parent_id,
        text=args["text"],
        x=args["x"],
        y=args["y"],
        color=args.get("color", "#ffffff"),
        order=_order_key(mindmap_id, parent_id, args["index"]),
    )
    changes = _changes()
    changes["nodes"].append(node.as_dict())
    return changes


def _update_node(mindmap_id: int, args: dict[str, Any]) -> Changes:
    node = _get_node(mindmap_id, args["node"])
    _check_version(node, args["base_version"])
    for name in ("text", "color", "collapsed"):
        if name in args:
            setattr(node, name, args[name])
    node.version += 1
    node.save()
    changes = _changes()
    changes["nodes"].append(node.as_dict())
    return changes


def _would_cycle(mindmap_id: int, node_id: int, new_parent_id: int) -> bool:
    parents = dict(Node.objects.filter(mindmap_id=mindmap_id).values_list("pk", "parent_id"))
    current: int | None = new_parent_id
    for _ in range(len(parents) + 1):
        if current is None:
            return False
        if current == node_id:
            return True
        current = parents.get(current)
    return True  # A cycle already exists above; refuse to join it.


def _move_node(mindmap_id: int, args: dict[str, Any]) -> Changes:
    node = _get_node(mindmap_id, args["node"])
    _check_version(node, args["base_version"])
    node.x, node.y = args["x"], args["y"]
    if "parent" in args:
        new_parent = args["parent"]
        if new_parent is not None:
            _get_node(mindmap_id, new_parent)
            if _would_cycle(mindmap_id, node.pk, new_parent):
                raise OpError(
                    f"Moving node {node.pk} under {new_parent} would make a cycle.",
                    code="cycle",
                )
        if new_parent != node.parent_id or args["index"] is not None:
            node.order = _order_key(mindmap_id, new_parent, args["index"], node.pk)
        node.parent_id = new_parent
    elif args["index"] is not None:
        node.order = _order_key(mindmap_id, node.parent_id, args["index"], node.pk)
    node.version += 1
    node.save()
    changes = _changes()
    changes["nodes"].append(node.as_dict())
    return changes


def _delete_node(mindmap_id: int, args: dict[str, Any]) -> Changes:
    node = _get_node(mindmap_id, args["node"])
    _check_version(node, args["base_version"])
    changes = _changes()
    # Children move up to the deleted node's parent and keep their subtrees.
    children = list(Node.objects.filter(parent_id=node.pk))
    for child in children:
        child.parent_id = node.parent_id
        child.version += 1
    Node.objects.bulk_update(children, ["parent", "version"])
    changes["nodes"] = [child.as_dict() for child in children]
    edges = Edge.objects.filter(Q(source_id=node.pk) | Q(target_id=node.pk))
    changes["deleted_edges"] = sorted(edges.values_list("pk", flat=True))
    Edge.objects.filter(pk__in=changes["deleted_edges"]).delete()
    node.delete()
    changes["deleted_nodes"] = [args["node"]]
    return changes


def _create_edge(mindmap_id: int, args: dict[str, Any]) -> Changes:
    source = _get_node(mindmap_id, args["source"])
    target = _get_node(mindmap_id, args["target"])
    if source.pk == target.pk:
        raise OpError("An edge cannot connect a node to itself.", code="invalid_op")
    if Edge.objects.filter(source=source, target=target).exists():
        raise OpError(
            f"Nodes {source.pk} and {target.pk} are already connected.",
            code="duplicate_edge",
        )
    edge = Edge.objects.create(
        mindmap_id=mindmap_id, source=source, target=target, label=args["label"]
    )
    changes = _changes()
    changes["edges"].append(edge.as_dict())
    return changes


def _delete_edge(mindmap_id: int, args: dict[str, Any]) -> Changes:
    deleted, _ = Edge.objects.filter(mindmap_id=mindmap_id, pk=args["edge"]).delete()
    if not deleted:
        raise NotFound(f"Edge {args['edge']} is not in this mindmap.")
    changes = _changes()
    changes["deleted_edges"].append(args["edge"])
    return changes


HANDLERS: dict[str, Callable[[int, dict[str, Any]], Changes]] = {
    "node.create": _create_node,
    "node.update": _update_node,
    "node.move": _move_node,
    "node.delete": _delete_node,
    "edge.create": _create_edge,
    "edge.delete": _delete_edge,
}


def apply_op(mindmap_id: int, user: Any, op: ParsedOp) -> tuple[dict[str, Any], bool]:
    """Apply ``op`` and return ``(applied frame, newly applied)``.

    A client op id applied before returns the frame broadcast then and
    ``False``: resends are acknowledged, never applied twice. Raises an
    :class:`~moa_mindmap.exceptions.OpError` subclass, changing nothing, when
    the op is refused.
    """
    try:
        with transaction.atomic():
            # Taking the next number first locks the mindmap row (the whole
            # database on SQLite), so ops on one mindmap apply one at a time.
            if not Mindmap.objects.filter(pk=mindmap_id).update(seq=F("seq") + 1, updated_at=Now()):
                raise NotFound("This mindmap no longer exists.")
            mindmap = Mindmap.objects.get(pk=mindmap_id)
            previous = Op.objects.filter(mindmap_id=mindmap_id, client_op_id=op.id).first()
            if previous is not None:
                if previous.author_id != getattr(user, "pk", None):
                    raise OpError(
                        f"Op id {op.id!r} was used by another client.",
                        code="duplicate_op_id",
                    )
                raise DuplicateOp(previous.frame)
            if not has_permission(user, mindmap, "edit"):
                raise EditForbidden("You may view this mindmap but not edit it.")
            changes = HANDLERS[op.kind](mindmap_id, op.args)
            frame = {
                "type": "applied",
                "seq": mindmap.seq,
                "id": op.id,
                "op": op.kind,
                "by": getattr(user, "pk", None),
                **changes,
            }
            Op.objects.create(
                mindmap_id=mindmap_id,
                seq=mindmap.seq,
                client_op_id=op.id,
                author_id=getattr(user, "pk", None),
                kind=op.kind,
                frame=frame,
            )
            if mindmap.seq % PRUNE_EVERY == 0:
                prune_op_log(mindmap_id, mindmap.seq)
    except DuplicateOp as duplicate:
        return duplicate.frame, False
    except IntegrityError:
        # The same op id raced in through another connection.
        previous = Op.objects.filter(mindmap_id=mindmap_id, client_op_id=op.id).first()
        if previous is not None and previous.author_id == getattr(user, "pk", None):
            return previous.frame, False
        raise OpError("The op conflicts with the mindmap's state.", code="conflict") from None
    return frame, True


def prune_op_log(mindmap_id: int, seq: int) -> int:
    """Delete ops older than the retention window; return how many went."""
    keep = app_settings.MOA_MINDMAP_OP_LOG_RETENTION
    deleted, _ = Op.objects.filter(mindmap_id=mindmap_id, seq__lte=seq - keep).delete()
    return deleted


def build_snapshot(mindmap_id: int) -> dict[str, Any]:
    """Return the ``snapshot`` frame: every node and edge at one sequence number."""
    with transaction.atomic():
        # The row lock holds off writers, so nodes and edges match ``seq``.
        mindmap = Mindmap.objects.select_for_update().get(pk=mindmap_id)
        nodes = [node.as_dict() for node in Node.objects.filter(mindmap_id=mindmap_id)]
        edges = [edge.as_dict() for edge in Edge.objects.filter(mindmap_id=mindmap_id)]
    nodes.sort(key=lambda node: (node["order"], node["id"]))
    edges.sort(key=lambda edge: edge["id"])
    return {
        "type": "snapshot",
        "protocol": PROTOCOL_VERSION,
        "mindmap": {"id": mindmap.pk, "title": mindmap.title},
        "seq": mindmap.seq,
        "nodes": nodes,
        "edges": edges,
    }


def replay_ops(mindmap_id: int, since: int) -> dict[str, Any] | None:
    """Return a ``replay`` frame of the ops after ``since``.

    ``None`` means the log no longer holds them all (or ``since`` is ahead of
    the mindmap): the client needs a fresh snapshot.
    """
    seq = Mindmap.objects.values_list("seq", flat=True).get(pk=mindmap_id)
    if since > seq:
        return None
    frames = list(
        Op.objects.filter(mindmap_id=mindmap_id, seq__gt=since)
        .order_by("seq")
        .values_list("frame", flat=True)[: MAX_REPLAY + 1]
    )
    missing = seq - since
    if missing > MAX_REPLAY or len(frames) != missing or (frames and frames[0]["seq"] != since + 1):
        return None
    return {"type": "replay", "since": since, "seq": seq, "ops": frames}


def current_seq(mindmap_id: int) -> int:
    """Return the sequence number of the mindmap's last applied op."""
    return int(Mindmap.objects.values_list("seq", flat=True).get(pk=mindmap_id))


def get_mindmap(mindmap_id: int) -> Mindmap | None:
    """Return the mindmap, or ``None`` when there is no such mindmap."""
    return Mindmap.objects.select_related("owner").filter(pk=mindmap_id).first()


def check_permission(user: Any, mindmap: Mindmap, action: str) -> bool:
    """Return :func:`~moa_mindmap.permissions.has_permission` (a sync entry point)."""
    return has_permission(user, mindmap, action)  # type: ignore[arg-type]


aapply_op = database_sync_to_async(apply_op)
aprune_op_log = database_sync_to_async(prune_op_log)
abuild_snapshot = database_sync_to_async(build_snapshot)
areplay_ops = database_sync_to_async(replay_ops)
acurrent_seq = database_sync_to_async(current_seq)
aget_mindmap = database_sync_to_async(get_mindmap)
acheck_permission = database_sync_to_async(check_permission)
