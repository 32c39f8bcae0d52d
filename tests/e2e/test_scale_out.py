"""Scale-out: clients of one mindmap on two app instances see each other's ops through Redis."""

from __future__ import annotations

import pytest
from e2e_harness.mindmap import MindmapClient
from e2e_harness.stack import Stack


@pytest.mark.parametrize(("writer", "reader"), [("web1", "web2"), ("web2", "web1")])
def test_client_on_one_instance_sees_ops_from_the_other(
    mindmap_stack: Stack, writer: str, reader: str
) -> None:
    """An op applied on one instance reaches a client of the other at once, in sequence."""
    stack = mindmap_stack
    mindmap_id = stack.seed["mindmaps"]["scale-out"]
    sessions = stack.seed["sessions"]
    with (
        MindmapClient(stack.instances[writer].port, mindmap_id, sessions["user2"]) as author,
        MindmapClient(stack.instances[reader].port, mindmap_id, sessions["user3"]) as watcher,
    ):
        node = author.create_node(f"written on {writer}")
        # Well before the heartbeat's tick could reveal a missed op: this is the broadcast.
        seen = watcher.wait_for(
            lambda frame: frame["type"] == "applied" and frame["seq"] == author.seq, timeout_s=5
        )

    assert seen["nodes"][0] == node
    assert seen["seq"] == watcher.snapshot["seq"] + 1
