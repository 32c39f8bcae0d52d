"""moa-mindmap's README, followed in a new project: pages, static files and the WebSocket."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import pytest
from project import Client, Project
from websockets.sync.client import connect
from websockets.typing import Origin

PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def project(follow_readme: Callable[[str], Project]) -> Project:
    project = follow_readme("moa-mindmap")
    project.createsuperuser("ann", PASSWORD)
    return project


@pytest.fixture(scope="module")
def mindmap_path(client: Client) -> str:
    """Log in as the README says, create a mindmap on ``mindmap/``; return its path."""
    anonymous = client.request("/mindmap/")
    assert anonymous.status == 302
    login_path = anonymous.headers["Location"]
    assert client.request(login_path).status == 200, f"{login_path} is not a login page"
    login = client.submit(login_path, {"username": "ann", "password": PASSWORD})
    assert login.status == 302, login.text[:2000]
    created = client.submit("/mindmap/", {"title": "Plans"})
    assert created.status == 302, created.text[:2000]
    return created.headers["Location"]


def test_check_passes(project: Project) -> None:
    """``manage.py check`` finds nothing with the README's settings and asgi.py."""
    assert "System check identified no issues (0 silenced)." in project.manage("check")


def test_editor_page_and_its_static_files(client: Client, mindmap_path: str) -> None:
    """The editor page answers, and runserver serves the script and stylesheet it links."""
    page = client.request(mindmap_path)
    assert page.status == 200
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', page.text)
    assert any(a.endswith(".js") for a in assets)
    assert any(a.endswith(".css") for a in assets)
    for asset in assets:
        assert client.request(asset).status == 200, asset


def test_websocket_sends_the_snapshot(client: Client, mindmap_path: str) -> None:
    """``ws/mindmap/<id>/`` on runserver accepts the logged-in user and sends a snapshot."""
    mindmap_id = mindmap_path.strip("/").rsplit("/", 1)[-1]
    cookie = f"sessionid={client.cookie('sessionid')}"
    with connect(
        client.base_url.replace("http://", "ws://") + f"/ws/mindmap/{mindmap_id}/",
        additional_headers={"Cookie": cookie},
        origin=Origin(client.base_url),
        open_timeout=10,
    ) as socket:
        frame = json.loads(socket.recv(timeout=10))
    assert frame["type"] == "snapshot"
    assert frame["you"]["user"]["name"] == "ann"
