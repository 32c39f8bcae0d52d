"""Incident 6, WebSocket 404 on runserver: Django's own runserver speaks WSGI only.

The template puts moa_ops.devserver first in INSTALLED_APPS, so ``manage.py runserver`` is
daphne's and serves the Channels routes; without it the handshake gets the postmortem's 404, and the
moa-ops check moa_ops.W002 says so before anyone opens a browser.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest
from e2e_harness.client import loopback_socket
from e2e_harness.mindmap import ORIGIN, MindmapClient
from e2e_harness.stack import DOMAIN, SLUG, Stack
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect
from websockets.typing import Origin

from moa_testsupport.servers import free_port, port_open, wait_until

LOCAL_SETTINGS = f"{SLUG}.settings.local"
WSGI_ONLY = 'INSTALLED_APPS = [app for app in INSTALLED_APPS if app != "moa_ops.devserver"]'


@pytest.fixture
def runserver(stack: Stack) -> Iterator[object]:
    """Start ``manage.py runserver`` with the given settings module; return its port."""
    started = []

    def start(settings_module: str) -> int:
        port = free_port()
        process = stack.group.start(
            [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
            log=stack.root / f"runserver-{port}.log",
            cwd=stack.project,
            env=stack.base_env(DJANGO_SETTINGS_MODULE=settings_module),
            stop_timeout_s=10,
        )
        started.append(process)
        wait_until(lambda: port_open(port), 60, f"runserver on {port}")
        return port

    try:
        yield start
    finally:
        for process in started:
            stack.group.stop(process)


def ping(port: int) -> str:
    with connect(
        f"ws://{DOMAIN}/ws/ping/",
        sock=loopback_socket(port),
        origin=Origin(ORIGIN),
        open_timeout=10,
    ) as socket:
        socket.send("ping")
        return str(socket.recv(timeout=10))


def check_output(stack: Stack, settings_module: str, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", "check", *args],
        cwd=stack.project, env=stack.base_env(DJANGO_SETTINGS_MODULE=settings_module),
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    return result.stdout + result.stderr


def test_wsgi_only_runserver_answers_the_handshake_with_404(stack: Stack, runserver) -> None:
    """Without moa_ops.devserver, runserver is WSGI: the WebSocket route is a missing page."""
    port = runserver(stack.write_settings("e2e_wsgi_only", WSGI_ONLY, base=LOCAL_SETTINGS))

    with pytest.raises(InvalidStatus) as failure:
        ping(port)

    assert failure.value.response.status_code == 404


def test_moa_ops_check_flags_the_wsgi_only_settings(stack: Stack) -> None:
    """`manage.py check` names the problem and the fix (moa_ops.W002)."""
    module = stack.write_settings("e2e_wsgi_only", WSGI_ONLY, base=LOCAL_SETTINGS)

    output = check_output(stack, module)

    assert "moa_ops.W002" in output


def test_template_runserver_serves_websockets(stack: Stack, runserver) -> None:
    """With the template's local settings, runserver (daphne) completes the handshake."""
    port = runserver(LOCAL_SETTINGS)

    assert ping(port) == "pong"
    assert "moa_ops.W002" not in check_output(stack, LOCAL_SETTINGS)


def test_template_runserver_serves_the_mindmap(mindmap_stack: Stack, runserver) -> None:
    """The mindmap route answers on runserver too: snapshot on join, ops acknowledged."""
    stack = mindmap_stack
    port = runserver(LOCAL_SETTINGS)
    mindmap_id = stack.seed["mindmaps"]["runserver"]

    # Plain ws:// on runserver: the page's origin is http://, and moa-mindmap compares
    # the whole origin (an https:// one would be closed with 4403).
    session = stack.seed["sessions"]["user0"]
    with MindmapClient(port, mindmap_id, session, origin=f"http://{DOMAIN}") as client:
        node = client.create_node("on runserver")

    assert node["text"] == "on runserver"


def test_production_settings_pass_the_deploy_checks(stack: Stack) -> None:
    """The settings the instances run with pass `check --deploy --fail-level WARNING`."""
    output = check_output(stack, stack.settings_module, "--deploy", "--fail-level", "WARNING")

    assert "System check identified no issues" in output, output
