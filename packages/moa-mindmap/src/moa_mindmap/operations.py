"""Apply ops in a transaction, number them, and read state for clients.

Every function here is synchronous and has an ``a``-prefixed async twin for
consumers. The database is the source of truth: an op is applied, numbered
and logged in one transaction, and only then broadcast.
"""

from __future__ import annotations

import bisect
import logging
from collections.abc import Callable, Sequence
from typing import Any, Literal

from channels.db import database_sync_to_async
from django.contrib.auth import get_user_model
from django.db import (
    DatabaseError,
    DataError,
    IntegrityError,
    close_old_connections,
    transaction,
)
from django.db.models import F, Q
from django.db.models.functions import Now

from moa_mindmap.conf import app_settings
from moa_mindmap.exceptions import (
    EditForbidden,
    LimitExceeded,
    NotFound,
    OpError,
    ProtocolError,
    StaleVersion,
)
from moa_mindmap.models import Edge, Mindmap, Node, Op
from moa_mindmap.ordering import key_between
from moa_mindmap.permissions import has_permission, is_active_user
from moa_mindmap.protocol import PROTOCOL_VERSION
from moa_mindmap.protocol import Op as ParsedOp

logger = logging.getLogger("moa_mindmap")

# Replaying more than this many ops costs more than a fresh snapshot.
MAX_REPLAY = 500
# Prune the op log every this many ops rather than on every op.
PRUNE_EVERY = 50

Changes = dict[str, list[Any]]
# One result of :func:`apply_ops`: ``(applied frame, newly applied)`` or the refusal.
OpResult = tuple[dict[str, Any], bool] | OpError
# Why :func:`check_access` refuses: the user, the mindmap or the ``view`` permission.
Refusal = Literal["user", "mindmap", "view"]


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


def _create_node(batch: Batch, args: dict[str, Any]) -> Changes:
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


def _update_node(batch: Batch, args: dict[str, Any]) -> Changes:
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


def _move_node(batch: Batch, args: dict[str, Any]) -> Changes:
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


def _delete_node(batch: Batch, args: dict[str, Any]) -> Changes:
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


def _create_edge(batch: Batch, args: dict[str, Any]) -> Changes:
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


def _delete_edge(batch: Batch, args: dict[str, Any]) -> Changes:
    deleted, _ = Edge.objects.filter(mindmap_id=batch.mindmap_id, pk=args["edge"]).delete()
    if not deleted:
        raise NotFound(f"Edge {args['edge']} is not in this mindmap.")
    changes = _changes()
    changes["deleted_edges"].append(args["edge"])
    return changes


HANDLERS: dict[str, Callable[[Batch, dict[str, Any]], Changes]] = {
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
    (result,) = apply_ops(mindmap_id, [(user, op)])
    if isinstance(result, OpError):
        raise result
    return result


def apply_ops(mindmap_id: int, items: Sequence[tuple[Any, ParsedOp]]) -> list[OpResult]:
    """Apply several ops to one mindmap in one transaction, in order.

    Returns one result per op, in the same order: ``(applied frame, newly
    applied)`` or the :class:`~moa_mindmap.exceptions.OpError` refusing it
    (nothing of a refused op is kept). Each op runs in its own savepoint and
    gets the next sequence number only if it applies, so the numbers stay
    gapless. Every op is checked exactly as :func:`apply_op` checks it, the
    ``edit`` permission included (asked once per user per call, inside the
    transaction, about the user as stored now: one deactivated or deleted
    since they connected edits nothing). One commit covers them all: a consumer process gathers the
    ops that arrive while the previous commit runs (group commit). An op that
    fails in the database fails alone, its savepoint rolled back: a
    :class:`~moa_mindmap.exceptions.ProtocolError` when the database cannot
    store one of its values, an ``unavailable`` ``OpError`` otherwise. A
    :class:`~django.db.DatabaseError` outside an op (the lock, the commit, a
    savepoint that cannot be rolled back) propagates: then none of the ops was
    applied.
    """
    results: list[OpResult] = []
    if not items:
        return results
    with transaction.atomic():
        # Taking the mindmap's lock first (the whole database on SQLite) makes
        # batches on one mindmap apply one at a time, in every process.
        if not Mindmap.objects.filter(pk=mindmap_id).update(seq=F("seq")):
            raise NotFound("This mindmap no longer exists.")
        mindmap = Mindmap.objects.get(pk=mindmap_id)
        seq = start = mindmap.seq
        client_ids = {op.id for _, op in items}
        known: dict[str, tuple[int | None, dict[str, Any]]] = {
            client_op_id: (author_id, frame)
            for client_op_id, author_id, frame in Op.objects.filter(
                mindmap_id=mindmap_id, client_op_id__in=client_ids
            ).values_list("client_op_id", "author_id", "frame")
        }
        allowed: dict[Any, bool] = {}
        batch = Batch(mindmap_id)
        for user, op in items:
            author_id = getattr(user, "pk", None)
            try:
                if op.id in known:
                    previous_author, previous_frame = known[op.id]
                    if previous_author != author_id:
                        raise OpError(
                            f"Op id {op.id!r} was used by another client.",
                            code="duplicate_op_id",
                        )
                    results.append((previous_frame, False))
                    continue
                if author_id not in allowed:
                    allowed[author_id] = _may_edit(user, mindmap)
                if not allowed[author_id]:
                    raise EditForbidden("You may view this mindmap but not edit it.")
                frame = _apply_one(batch, seq + 1, author_id, op)
            except OpError as error:
                results.append(error)
                continue
            seq += 1
            known[op.id] = (author_id, frame)
            results.append((frame, True))
        if seq != start:
            Mindmap.objects.filter(pk=mindmap_id).update(seq=seq, updated_at=Now())
            if seq // PRUNE_EVERY != start // PRUNE_EVERY:
                prune_op_log(mindmap_id, seq)
    return results


def _may_edit(user: Any, mindmap: Mindmap) -> bool:
    if getattr(user, "pk", None) is not None:
        user = get_user(user.pk)
        if not is_active_user(user):
            return False
    return has_permission(user, mindmap, "edit")


def _apply_one(batch: Batch, seq: int, author_id: int | None, op: ParsedOp) -> dict[str, Any]:
    """Apply one op as number ``seq`` in a savepoint; return its ``applied`` frame."""
    try:
        with transaction.atomic():
            changes = HANDLERS[op.kind](batch, op.args)
            frame = {
                "type": "applied",
                "seq": seq,
                "id": op.id,
                "op": op.kind,
                "by": author_id,
                **changes,
            }
            Op.objects.create(
                mindmap_id=batch.mindmap_id,
                seq=seq,
                client_op_id=op.id,
                author_id=author_id,
                kind=op.kind,
                frame=frame,
            )
    except OpError:
        batch.forget()
        raise
    except IntegrityError:
        batch.forget()
        raise OpError("The op conflicts with the mindmap's state.", code="conflict") from None
    except (DataError, UnicodeError) as error:
        # A value the parser let through but the database cannot store: a gap
        # in protocol.py. Resending cannot help, so the client must not.
        batch.forget()
        _raise_if_transaction_broken(error)
        logger.warning(
            "Mindmap %s: op %s holds a value the database refuses: %s",
            batch.mindmap_id,
            op.id,
            type(error).__name__,
        )
        raise ProtocolError("The database cannot store a value of this op.") from None
    except Exception as error:
        # The savepoint was rolled back: this op failed alone, the batch goes on.
        batch.forget()
        _raise_if_transaction_broken(error)
        if isinstance(error, DatabaseError):
            logger.error("Mindmap %s: op %s: database error: %s", batch.mindmap_id, op.id, error)
        else:
            logger.error("Mindmap %s: op %s failed", batch.mindmap_id, op.id, exc_info=error)
        raise OpError(
            "The server could not apply this now; resend it.", code="unavailable"
        ) from None
    return frame


def _raise_if_transaction_broken(error: Exception) -> None:
    """Re-raise ``error`` when the savepoint could not be rolled back.

    Then the whole transaction is lost: every op of the batch must fail with
    it, rather than be acknowledged and silently rolled back at the end.
    """
    if transaction.get_rollback():
        raise error


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


def get_user(user_id: Any) -> Any:
    """Return the user as stored now (``None`` when gone or hidden by the manager)."""
    return get_user_model()._default_manager.filter(pk=user_id).first()


def check_access(user_id: Any, mindmap_id: int) -> tuple[Any, Refusal | None]:
    """Reload the user and the mindmap and ask ``view``; return ``(user, refusal)``.

    ``refusal`` is ``None`` when the user may view the mindmap, ``"user"`` when
    the user is gone, inactive or soft-deleted, ``"mindmap"`` when the mindmap
    is gone and ``"view"`` when the permission hook refuses. Nothing is cached:
    the consumer asks on connect, on ``sync``, on each heartbeat and when told.
    """
    user = get_user(user_id)
    if not is_active_user(user):
        return user, "user"
    mindmap = get_mindmap(mindmap_id)
    if mindmap is None:
        return user, "mindmap"
    if not has_permission(user, mindmap, "view"):
        return user, "view"
    return user, None


def check_permission(user: Any, mindmap: Mindmap, action: str) -> bool:
    """Return :func:`~moa_mindmap.permissions.has_permission` (a sync entry point)."""
    return has_permission(user, mindmap, action)  # type: ignore[arg-type]


aapply_op = database_sync_to_async(apply_op)
aapply_ops = database_sync_to_async(apply_ops)


def _apply_ops_in_worker(mindmap_id: int, items: Sequence[tuple[Any, ParsedOp]]) -> list[OpResult]:
    try:
        return apply_ops(mindmap_id, items)
    finally:
        # Django's own function: Channels' test communicator patches out the
        # one ``database_sync_to_async`` calls, and a worker thread's
        # connection must not outlive ``CONN_MAX_AGE`` (nor a test database).
        close_old_connections()


# The same in any worker thread: ops of different mindmaps apply concurrently
# (for databases with row locks; SQLite has one writer anyway).
aapply_ops_concurrently = database_sync_to_async(_apply_ops_in_worker, thread_sensitive=False)
aprune_op_log = database_sync_to_async(prune_op_log)
abuild_snapshot = database_sync_to_async(build_snapshot)
areplay_ops = database_sync_to_async(replay_ops)
acurrent_seq = database_sync_to_async(current_seq)
aget_mindmap = database_sync_to_async(get_mindmap)
acheck_permission = database_sync_to_async(check_permission)
aget_user = database_sync_to_async(get_user)
acheck_access = database_sync_to_async(check_access)
