"""The write path: apply ops in a transaction, number them and log them.

The database is the source of truth: an op is applied, numbered and logged in
one transaction, and only then broadcast (:mod:`moa_mindmap.batching` gathers
the ops of one commit). Each function has its ``a``-prefixed async twin beside it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from channels.db import database_sync_to_async
from django.db import (
    DatabaseError,
    DataError,
    IntegrityError,
    close_old_connections,
    transaction,
)
from django.db.models import F
from django.db.models.functions import Now

from moa_mindmap.access import get_user
from moa_mindmap.conf import app_settings
from moa_mindmap.exceptions import EditForbidden, NotFound, OpError, ProtocolError
from moa_mindmap.handlers import Batch
from moa_mindmap.models import Mindmap, Op
from moa_mindmap.permissions import has_permission, is_active_user
from moa_mindmap.protocol import UNAVAILABLE_MESSAGE, ParsedOp
from moa_mindmap.registry import apply_op_kind

logger = logging.getLogger("moa_mindmap")

# Prune the op log every this many ops rather than on every op.
PRUNE_EVERY = 50

# One result of :func:`apply_ops`: ``(applied frame, newly applied)`` or the refusal.
OpResult = tuple[dict[str, Any], bool] | OpError


def apply_ops(mindmap_id: int, items: Sequence[tuple[Any, ParsedOp]]) -> list[OpResult]:
    """Apply several ops to one mindmap in one transaction, in order.

    Returns one result per op, in the same order: ``(applied frame, newly
    applied)`` or the :class:`~moa_mindmap.exceptions.OpError` refusing it
    (nothing of a refused op is kept). Each op runs in its own savepoint and
    gets the next sequence number only if it applies, so the numbers stay
    gapless. Every op is checked on its own, the ``edit`` permission included
    (asked once per user per call, inside the transaction, about the user as
    stored now: one deactivated or deleted since they connected edits
    nothing). One commit covers them all: a consumer process gathers the ops
    that arrive while the previous commit runs (group commit). An op that
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
            changes = apply_op_kind(batch, op)
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
        raise OpError(UNAVAILABLE_MESSAGE, code="unavailable") from None
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


aprune_op_log = database_sync_to_async(prune_op_log)
