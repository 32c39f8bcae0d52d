"""The read path: the state a client loads on join, and the ops it missed.

Each function has its ``a``-prefixed async twin beside it.
"""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async
from django.db import transaction

from moa_mindmap.models import Edge, Mindmap, Node, Op
from moa_mindmap.protocol import PROTOCOL_VERSION

# Replaying more than this many ops costs more than a fresh snapshot.
MAX_REPLAY = 500


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


abuild_snapshot = database_sync_to_async(build_snapshot)


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


areplay_ops = database_sync_to_async(replay_ops)


def current_seq(mindmap_id: int) -> int:
    """Return the sequence number of the mindmap's last applied op."""
    return int(Mindmap.objects.values_list("seq", flat=True).get(pk=mindmap_id))


acurrent_seq = database_sync_to_async(current_seq)
