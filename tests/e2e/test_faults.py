"""Faults: Redis stopped mid-run and PostgreSQL restarted, on the harness's own servers.

Readiness must say what is wrong (so a load balancer drains the instance) and recover by
itself; pages that need neither keep serving; mindmap clients reconnect and lose nothing
that was acknowledged (the database, not the channel layer, is the source of truth).
"""

from __future__ import annotations

import itertools
import time
from typing import Any

from e2e_harness.client import fetch, tls_context
from e2e_harness.mindmap import MindmapClient
from e2e_harness.stack import DOMAIN, SERVICES, Stack, http_json
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from moa_testsupport.servers import wait_until


def readiness(stack: Stack, name: str) -> tuple[int | None, dict[str, Any]]:
    return http_json(f"{stack.instances[name].base_url}/health/ready/")


def wait_failing(stack: Stack, check: str, timeout_s: float = 30) -> dict[str, dict[str, Any]]:
    """Wait until every instance answers readiness 503 naming ``check``; the bodies."""
    bodies: dict[str, dict[str, Any]] = {}

    def failing() -> bool:
        for name in SERVICES:
            status, body = readiness(stack, name)
            bodies[name] = body
            if status != 503 or check not in body.get("failing", []):
                return False
        return True

    wait_until(failing, timeout_s, f"readiness to fail on {check}", interval_s=0.25)
    return bodies


def wait_all_ready(stack: Stack, timeout_s: float = 60) -> None:
    for name in SERVICES:
        stack.wait_ready(stack.instances[name], timeout_s)


def restart_redis(stack: Stack) -> None:
    """Start Redis again and wait until every instance serves mindmap sockets again.

    Readiness turns 200 before the first socket on each instance stops failing on a pooled
    connection to the old server, so the later tests get a settled stack.
    """
    stack.redis.start()
    settle_websockets(stack)


def settle_websockets(stack: Stack) -> None:
    """Wait until each instance takes a mindmap socket again (see restart_redis)."""
    wait_all_ready(stack)
    if stack.has_mindmap:
        for name in SERVICES:
            connect_with_retries(
                lambda name=name: MindmapClient(
                    stack.instances[name].port,
                    stack.seed["mindmaps"]["faults"],
                    stack.seed["sessions"]["user7"],
                )
            ).close()


def connect_with_retries(factory: Any, timeout_s: float = 45) -> MindmapClient:
    """Reconnect as the editor does: again and again until the server takes the socket."""
    deadline = time.monotonic() + timeout_s
    for attempt in itertools.count(1):
        client = factory()
        try:
            client.connect(timeout_s=5)
        except (OSError, InvalidHandshake, ConnectionClosed, TimeoutError) as error:
            print(f"connection attempt {attempt} failed: {error!r}")
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)
        else:
            return client
    raise AssertionError("unreachable")


def home_status(stack: Stack) -> int:
    return fetch(f"https://{DOMAIN}/", stack.nginx, stack.cert)[0].status


def test_redis_stopped_mid_run(mindmap_stack: Stack) -> None:
    """Readiness names the channel layer, pages serve, editors reconnect and lose nothing."""
    stack = mindmap_stack
    mindmap_id = stack.seed["mindmaps"]["faults"]
    tls = tls_context(stack.cert)

    def editor() -> MindmapClient:
        return MindmapClient(
            stack.nginx.https_port, mindmap_id, stack.seed["sessions"]["user4"], tls=tls
        )

    client = connect_with_retries(editor)
    acknowledged = [client.create_node(f"before the outage {n}") for n in range(3)]

    stack.redis.stop()
    try:
        bodies = wait_failing(stack, "channel_layer")
        pages = [home_status(stack) for _ in range(5)]
    finally:
        restart_redis(stack)
    client.close()

    assert all(body["status"] == "unavailable" for body in bodies.values()), bodies
    assert pages == [200] * 5
    wait_all_ready(stack)
    client = connect_with_retries(editor)
    try:
        nodes = {node["id"]: node for node in client.snapshot["nodes"]}
        for node in acknowledged:
            assert nodes[node["id"]] == node
        after = client.create_node("after the outage")
    finally:
        client.close()
    assert after["text"] == "after the outage"


def test_editor_open_during_the_outage_catches_up(mindmap_stack: Stack) -> None:
    """A socket open while Redis was down gets later ops, or is closed and resyncs on reconnect.

    Either way the editor ends up with every op applied after Redis returned: by the broadcast,
    by the heartbeat's tick and a sync, or by the snapshot of its reconnection.
    """
    stack = mindmap_stack
    mindmap_id = stack.seed["mindmaps"]["faults"]
    sessions = stack.seed["sessions"]

    def watcher_client() -> MindmapClient:
        return MindmapClient(stack.instances["web1"].port, mindmap_id, sessions["user5"])

    watcher = connect_with_retries(watcher_client)
    try:
        stack.redis.stop()
        try:
            wait_failing(stack, "channel_layer")
        finally:
            stack.redis.start()
        wait_all_ready(stack)
        # Like every editor, the author retries: the first socket on an instance after Redis
        # came back can still hit a pooled connection to the old server and be dropped.
        author = connect_with_retries(
            lambda: MindmapClient(stack.instances["web2"].port, mindmap_id, sessions["user6"])
        )
        try:
            node = author.create_node("after Redis returned")
            seq = author.seq
        finally:
            author.close()
        try:
            frame = watcher.wait_for(
                lambda frame: frame["type"] in ("applied", "tick") and frame["seq"] >= seq,
                timeout_s=45,
            )
            if frame["type"] == "tick":  # the broadcast was missed: ask for what is missing
                watcher.send({"type": "sync", "since": seq - 1})
                frame = watcher.wait_for(lambda frame: frame["type"] in ("replay", "snapshot"))
            seen = frame.get("ops", [frame])[-1]["nodes"] if frame["type"] != "snapshot" else None
            how = frame["type"]
        except ConnectionClosed:
            watcher.close()
            watcher = connect_with_retries(watcher_client)
            seen, how = None, "reconnect"
        if seen is None:
            seen = [n for n in watcher.snapshot["nodes"] if n["id"] == node["id"]]
        print(f"editor open during the Redis outage caught up by: {how}")
        assert seen == [node]
    finally:
        watcher.close()
        settle_websockets(stack)


def test_postgres_restart_flips_readiness_and_recovers(stack: Stack) -> None:
    """Readiness answers 503 naming the database while it is down, 200 once it is back."""
    stack.postgres.stop()
    try:
        bodies = wait_failing(stack, "database")
    finally:
        stack.postgres.start()

    assert all(body["status"] == "unavailable" for body in bodies.values()), bodies
    wait_all_ready(stack, timeout_s=30)
    assert home_status(stack) == 200
    for name in SERVICES:
        assert readiness(stack, name)[0] == 200
