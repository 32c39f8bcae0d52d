"""What each op kind does to the database, inside the caller's transaction.

A handler takes the :class:`Batch` of the transaction and the op's validated
``args`` and returns the changes it made (the body of its ``applied`` frame);
it raises an :class:`~moa_mindmap.exceptions.OpError` to refuse the op.
:mod:`moa_mindmap.registry` pairs each handler with its op kind's parser.
"""

from __future__ import annotations

import bisect
from typing import Any

from django.db.models import Q

from moa_mindmap.conf import app_settings
from moa_mindmap.exceptions import LimitExceeded, NotFound, OpError, StaleVersion
from moa_mindmap.models import Edge, Node
from moa_mindmap.ordering import key_between

Changes = dict[str, list[Any]]


class Batch:
    """What the ops of one transaction share: the mindmap and cached counts.

    Everything cached here is read inside the transaction that holds the
    mindmap's lock, and is kept up to date by the ops of the batch; a failed
    op drops the caches so that the next op reads the database again.
    """

    def __init__(self, mindmap_id: int) -> None:
        self.mindmap_id = mindmap_id
        self._node_count: int | None = None
        # Sorted order keys of the children of each parent, for appends.
        self._sibling_keys: dict[int | None, list[str]] = {}

    def node_count(self) -> int:
        if self._node_count is None:
            self._node_count = Node.objects.filter(mindmap_id=self.mindmap_id).count()
        return self._node_count

    def sibling_keys(self, parent_id: int | None) -> list[str]:
        if parent_id not in self._sibling_keys:
            siblings = Node.objects.filter(mindmap_id=self.mindmap_id, parent_id=parent_id)
            self._sibling_keys[parent_id] = sorted(siblings.values_list("order", flat=True))
        return self._sibling_keys[parent_id]

    def node_created(self, parent_id: int | None, order: str) -> None:
        if self._node_count is not None:
            self._node_count += 1
        keys = self._sibling_keys.get(parent_id)
        if keys is not None:
            bisect.insort(keys, order)

    def forget(self) -> None:
        """Drop every cache (after an op that moved or deleted nodes, or failed)."""
        self._node_count = None
        self._sibling_keys.clear()


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
    batch: Batch, parent_id: int | None, index: int | None, exclude: int | None = None
) -> str:
    """Return the order key placing a node at ``index`` among the siblings."""
    if exclude is None:
        keys = batch.sibling_keys(parent_id)
    else:
        siblings = Node.objects.filter(mindmap_id=batch.mindmap_id, parent_id=parent_id)
        keys = sorted(siblings.exclude(pk=exclude).values_list("order", flat=True))
    position = len(keys) if index is None else min(index, len(keys))
    before = keys[position - 1] if position > 0 else None
    after = keys[position] if position < len(keys) else None
    if before is not None and after is not None and before >= after:
        # Equal keys (children re-parented by a delete): sort after the tie.
        greater = [key for key in keys[position:] if key > before]
        after = greater[0] if greater else None
    return key_between(before, after)


def create_node(batch: Batch, args: dict[str, Any]) -> Changes:
    """Create a node (last among its siblings unless ``index`` says where)."""
    limit = app_settings.MOA_MINDMAP_MAX_NODES
    if batch.node_count() >= limit:
        raise LimitExceeded(f"A mindmap may hold at most {limit} nodes.", code="too_many_nodes")
    parent_id = args["parent"]
    if parent_id is not None:
        _get_node(batch.mindmap_id, parent_id)
    node = Node.objects.create(
        mindmap_id=batch.mindmap_id,
        parent_id=parent_id,
        text=args["text"],
        x=args["x"],
        y=args["y"],
        color=args.get("color", "#ffffff"),
        order=_order_key(batch, parent_id, args["index"]),
    )
    batch.node_created(parent_id, node.order)
    changes = _changes()
    changes["nodes"].append(node.as_dict())
    return changes


def update_node(batch: Batch, args: dict[str, Any]) -> Changes:
    """Change a node's text, colour or collapsed state."""
    node = _get_node(batch.mindmap_id, args["node"])
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


def move_node(batch: Batch, args: dict[str, Any]) -> Changes:
    """Move a node, and re-parent or reorder it when asked."""
    mindmap_id = batch.mindmap_id
    if "parent" in args or args["index"] is not None:
        batch.forget()  # Siblings change; a plain drag keeps the caches.
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
            node.order = _order_key(batch, new_parent, args["index"], node.pk)
        node.parent_id = new_parent
    elif args["index"] is not None:
        node.order = _order_key(batch, node.parent_id, args["index"], node.pk)
    node.version += 1
    node.save()
    changes = _changes()
    changes["nodes"].append(node.as_dict())
    return changes


def delete_node(batch: Batch, args: dict[str, Any]) -> Changes:
    """Delete a node and its edges; its children move up to its parent."""
    batch.forget()
    node = _get_node(batch.mindmap_id, args["node"])
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


def create_edge(batch: Batch, args: dict[str, Any]) -> Changes:
    """Connect two nodes of the mindmap."""
    mindmap_id = batch.mindmap_id
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


def delete_edge(batch: Batch, args: dict[str, Any]) -> Changes:
    """Delete an edge."""
    deleted, _ = Edge.objects.filter(mindmap_id=batch.mindmap_id, pk=args["edge"]).delete()
    if not deleted:
        raise NotFound(f"Edge {args['edge']} is not in this mindmap.")
    changes = _changes()
    changes["deleted_edges"].append(args["edge"])
    return changes
