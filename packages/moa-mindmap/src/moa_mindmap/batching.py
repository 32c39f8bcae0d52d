"""Group commit: the ops that arrive while a commit runs share the next one.

A process keeps one :class:`OpBatcher` per mindmap (and channel layer) while
ops for it are in flight. The first op is applied at once; the ops that
arrive while its transaction runs wait and then go together through
:func:`~moa_mindmap.operations.apply_ops`: one transaction, one commit, each
op in its own savepoint with its own checks and sequence number. After the
commit, the ``applied`` frames of the batch are serialized once and
broadcast in one group message. Only then is each op's future resolved, so an
op is acknowledged only once it is durable, exactly as one at a time.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from django.db import connections, router

from moa_mindmap import operations
from moa_mindmap.exceptions import OpError
from moa_mindmap.models import Op
from moa_mindmap.protocol import ParsedOp

logger = logging.getLogger("moa_mindmap")

# The most ops one transaction applies; more wait for the next one.
MAX_BATCH_OPS = 100

Pending = tuple[Any, ParsedOp, "asyncio.Future[tuple[dict[str, Any], bool]]"]
_batchers: dict[tuple[asyncio.AbstractEventLoop, str, int], OpBatcher] = {}


def runs_concurrently() -> bool:
    """Return whether ops may apply outside Channels' one database thread.

    Databases with row locks (PostgreSQL, MariaDB) apply the ops of different
    mindmaps in parallel worker threads; SQLite takes one writer at a time, so
    its ops stay on the shared thread with the rest of the consumer's queries.
    """
    return connections[router.db_for_write(Op)].vendor != "sqlite"


class OpBatcher:
    """Apply one mindmap's ops, in arrival order, a batch per transaction."""

    def __init__(self, key: tuple[asyncio.AbstractEventLoop, str, int], layer: Any, group: str):
        self.key = key
        self.mindmap_id = key[2]
        self.layer = layer
        self.group = group
        self.pending: list[Pending] = []
        self.task: asyncio.Task[None] | None = None

    def submit(self, user: Any, op: ParsedOp) -> asyncio.Future[tuple[dict[str, Any], bool]]:
        future: asyncio.Future[tuple[dict[str, Any], bool]] = self.key[0].create_future()
        self.pending.append((user, op, future))
        if self.task is None:
            self.task = asyncio.create_task(self.run())
        return future

    async def run(self) -> None:
        try:
            while self.pending:
                batch = self.pending[:MAX_BATCH_OPS]
                del self.pending[:MAX_BATCH_OPS]
                await self.apply(batch)
        finally:
            for _, _, future in self.pending:
                future.cancel()
            self.pending.clear()
            _batchers.pop(self.key, None)

    async def apply(self, batch: list[Pending]) -> None:
        apply_ops = (
            operations.aapply_ops_concurrently if runs_concurrently() else operations.aapply_ops
        )
        try:
            results = await apply_ops(self.mindmap_id, [(user, op) for user, op, _ in batch])
        except Exception as error:  # The lock or the commit failed: nothing was applied.
            for _, _, future in batch:
                if not future.done():
                    future.set_exception(error)
            return
        except BaseException:
            for _, _, future in batch:
                future.cancel()
            raise
        texts = [
            json.dumps(result[0]) for result in results if isinstance(result, tuple) and result[1]
        ]
        if texts:
            try:
                await self.layer.group_send(
                    self.group, {"type": "mindmap.applied", "frames": texts}
                )
            except Exception:
                # The ops are committed; clients see the gap at the next tick and sync.
                logger.exception("Mindmap %s: broadcast failed", self.mindmap_id)
        for (_, _, future), result in zip(batch, results, strict=True):
            if future.done():
                continue
            if isinstance(result, OpError):
                future.set_exception(result)
            else:
                future.set_result(result)


def submit_op(
    mindmap_id: int, user: Any, op: ParsedOp, *, layer: Any, alias: str, group: str
) -> asyncio.Future[tuple[dict[str, Any], bool]]:
    """Queue ``op`` for the mindmap's batcher; the future gives its result.

    The result is ``(applied frame, newly applied)``; a new op has been
    broadcast to ``group`` by the time it resolves. A refused op raises its
    :class:`~moa_mindmap.exceptions.OpError`; a database failure raises the
    :class:`~django.db.DatabaseError` (then the op was not applied).
    """
    key = (asyncio.get_running_loop(), alias, mindmap_id)
    batcher = _batchers.get(key)
    if batcher is None:
        batcher = _batchers[key] = OpBatcher(key, layer, group)
    return batcher.submit(user, op)
