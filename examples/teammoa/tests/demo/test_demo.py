"""The demo as a visitor and as ``make demo`` see it."""

from __future__ import annotations

import http.client
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from teams.models import Team

pytestmark = pytest.mark.django_db


def test_index_links_the_health_endpoints(client: Client) -> None:
    """The index page shows the three moa-ops endpoints."""
    response = client.get("/")
    assert response.status_code == 200
    for path in ("/health/live/", "/health/ready/", "/health/"):
        assert f'href="{path}"' in response.content.decode()


def test_probes_answer_any_host(client: Client) -> None:
    """A container probe with an unlisted Host gets 200, not 400."""
    assert client.get("/health/live/", HTTP_HOST="10.0.0.5").status_code == 200
    assert client.get("/health/ready/", HTTP_HOST="web").json()["status"] == "ok"


def test_load_demo_data_twice(client: Client) -> None:
    """Loading the demo data twice leaves one copy of each team."""
    for _ in range(2):
        call_command("load_demo_data", stdout=StringIO())
    assert Team.objects.count() == 3
    mobile = Team.objects.get(name="Mobile")
    assert mobile.members.count() == 4
    page = client.get("/teams/").content.decode()
    assert "<td>Mobile</td><td>seoyeon</td><td>4</td>" in page


def test_runserver_is_daphne_and_serves_probes(runserver: str) -> None:
    """``make demo``'s runserver is daphne's (ASGI), so WebSockets can work."""
    connection = http.client.HTTPConnection(runserver, timeout=10)
    connection.request("GET", "/health/ready/")
    response = connection.getresponse()
    body = json.loads(response.read())
    assert response.status == 200, body
    assert response.getheader("Server", "").lower().startswith("daphne")
    connection.request("GET", "/teams/")
    page = connection.getresponse()
    assert page.status == 200
    assert b"Backend" in page.read()
    connection.close()


def test_pages_carry_a_content_security_policy(client: Client) -> None:
    """Every page forbids inline scripts and foreign hosts; no page may use the camera."""
    response = client.get("/")
    policy = response.headers["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["script-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert "camera=()" in response.headers["Permissions-Policy"]
