"""Incident 7, the nginx WebSocket proxy: without HTTP/1.1 and Upgrade, no WebSocket passes."""

from __future__ import annotations

import re

import pytest
from e2e_harness.client import loopback_socket, tls_context
from e2e_harness.mindmap import ORIGIN, MindmapClient
from e2e_harness.stack import DOMAIN, SERVICES, Nginx, Stack
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect
from websockets.typing import Origin


def ping_through(nginx: Nginx, stack: Stack) -> str:
    """Open wss://<domain>/ws/ping/ through ``nginx`` and return the answer to "ping"."""
    with connect(
        f"wss://{DOMAIN}/ws/ping/",
        sock=loopback_socket(nginx.https_port),
        ssl=tls_context(stack.cert),
        server_hostname=DOMAIN,
        origin=Origin(ORIGIN),
        open_timeout=10,
    ) as socket:
        socket.send("ping")
        return str(socket.recv(timeout=10))


def without_websocket_proxying(site: str) -> str:
    """The site as nginx proxies by default: HTTP/1.0, hop-by-hop Upgrade headers dropped."""
    for directive in (
        "proxy_http_version",
        "proxy_set_header Upgrade",
        "proxy_set_header Connection",
    ):
        site, count = re.subn(rf"^\s*{directive}\b[^;]*;\n", "", site, flags=re.MULTILINE)
        assert count >= 1, f"the template's site has no {directive!r} to remove"
    return site


def test_wss_ping_through_the_template_nginx(stack: Stack) -> None:
    """A wss:// handshake through the template's nginx succeeds and the socket answers."""
    assert ping_through(stack.nginx, stack) == "pong"


def test_wss_mindmap_ops_through_the_template_nginx(mindmap_stack: Stack) -> None:
    """Two wss:// clients through nginx: an op from one is acknowledged and reaches the other."""
    stack = mindmap_stack
    mindmap_id = stack.seed["mindmaps"]["proxy"]
    tls = tls_context(stack.cert)
    sessions = stack.seed["sessions"]
    with (
        MindmapClient(stack.nginx.https_port, mindmap_id, sessions["user0"], tls=tls) as alice,
        MindmapClient(stack.nginx.https_port, mindmap_id, sessions["user1"], tls=tls) as bob,
    ):
        node = alice.create_node("through nginx")
        seen = bob.wait_for(lambda frame: frame["type"] == "applied" and frame["seq"] == alice.seq)

    assert seen["nodes"][0] == node
    assert alice.snapshot["protocol"] == 1


def test_without_http11_and_upgrade_headers_the_handshake_fails(stack: Stack, spawn) -> None:
    """nginx's defaults turn the handshake into a plain GET: it never reaches the consumer."""
    nginx = spawn.nginx(
        "nginx-no-upgrade",
        [stack.instances[name].port for name in SERVICES],
        without_websocket_proxying,
    )

    with pytest.raises(InvalidStatus) as failure:
        ping_through(nginx, stack)

    # Django answers the un-upgraded GET of /ws/ping/ itself: there is no such page.
    status = failure.value.response.status_code
    print(f"handshake through nginx without WebSocket proxying: {status}")
    assert status in (400, 404, 502)
