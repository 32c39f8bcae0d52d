"""The probe endpoints as a client sees them, through the full middleware stack."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import AsyncClient, Client, override_settings

from moa_ops import drain

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("host", ["testserver", "127.0.0.1", "10.0.3.7:8000", "web", "evil..host"])
def test_live_answers_any_host(client: Client, host: str) -> None:
    """A probe addressed to any host, allowed or not, gets 200 from live."""
    response = client.get("/health/live/", HTTP_HOST=host)
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["Cache-Control"] == "no-store"


def test_other_paths_still_validate_host(client: Client) -> None:
    """Only probe paths skip host validation; a page with a bogus Host gets 400."""
    assert client.get("/", HTTP_HOST="evil.example").status_code == 400
    assert client.get("/", HTTP_HOST="app.example.com").status_code == 200


def test_unknown_path_under_health_is_not_answered(client: Client) -> None:
    """``health/nope/`` is no probe: host validation and a 404 apply as usual."""
    assert client.get("/health/nope/", HTTP_HOST="127.0.0.1").status_code == 400
    assert client.get("/health/nope/").status_code == 404
    assert client.get("/health/live").status_code == 301  # APPEND_SLASH, not a probe


@override_settings(SECURE_SSL_REDIRECT=True)
def test_probes_are_not_redirected_to_https(client: Client) -> None:
    """A plain-HTTP probe inside the container is answered, never sent to https."""
    assert client.get("/health/live/", HTTP_HOST="127.0.0.1").status_code == 200
    assert client.get("/health/ready/", HTTP_HOST="127.0.0.1").status_code == 200
    assert client.get("/", HTTP_HOST="app.example.com").status_code == 301


def test_response_does_not_depend_on_host(client: Client) -> None:
    """Two hosts get byte-identical live answers and the same readiness checks."""
    first = client.get("/health/live/", HTTP_HOST="a.invalid")
    second = client.get("/health/live/", HTTP_HOST="b.invalid")
    assert first.content == second.content
    assert first.headers == second.headers
    ready_a = client.get("/health/ready/", HTTP_HOST="a.invalid").json()
    ready_b = client.get("/health/ready/", HTTP_HOST="b.invalid").json()
    assert ready_a["checks"].keys() == ready_b["checks"].keys()


def test_ready_reports_each_check(client: Client) -> None:
    """Readiness names every check it ran and answers 200 when all pass."""
    response = client.get("/health/ready/")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"] == {
        "draining": "ok",
        "database": "ok",
        "cache": "ok",
        "channel_layer": "ok",
        "migrations": "ok",
    }


def test_full_report_is_seed_compatible(client: Client) -> None:
    """``health/`` keeps the ``{"status": "ok", "checks": {...}}`` shape, with timings."""
    body = client.get("/health/").json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["database"]["time_ms"] >= 0


def test_draining_flips_ready_not_live(client: Client) -> None:
    """While draining, ready answers 503 ``draining`` and live still answers 200."""
    drain.begin_drain()
    response = client.get("/health/ready/")
    assert response.status_code == 503
    assert response.json()["status"] == "draining"
    assert response.json()["failing"] == ["draining"]
    assert client.get("/health/live/").status_code == 200
    assert client.get("/").status_code == 200  # still serving
    drain.end_drain()
    assert client.get("/health/ready/").status_code == 200


def test_drain_file_flips_ready(client: Client, tmp_path: Path) -> None:
    """The drain file written by another process makes this one not ready."""
    drain_file = tmp_path / "drain"
    with override_settings(MOA_OPS_DRAIN_FILE=str(drain_file)):
        assert client.get("/health/ready/").status_code == 200
        drain_file.touch()
        assert client.get("/health/ready/").status_code == 503
        drain_file.unlink()
        assert client.get("/health/ready/").status_code == 200


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_probes_refuse_unsafe_methods(client: Client, method: str) -> None:
    """Probes answer GET and HEAD only; anything else gets 405, not a 500."""
    response = getattr(client, method)("/health/live/", HTTP_HOST="127.0.0.1")
    assert response.status_code == 405
    assert client.head("/health/live/").status_code == 200


@pytest.mark.parametrize("path", ["/health/live/", "/health/ready/", "/health/"])
async def test_async_stack_answers_probes(async_client: AsyncClient, path: str) -> None:
    """Under ASGI the middleware answers without host validation too."""
    response = await async_client.get(path, headers={"host": "10.1.2.3"})
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


async def test_async_stack_passes_other_requests(async_client: AsyncClient) -> None:
    """Under ASGI other requests reach the view and its host validation."""
    assert (await async_client.get("/")).status_code == 200
    assert (await async_client.get("/", headers={"host": "evil.example"})).status_code == 400
    assert (await async_client.post("/health/ready/")).status_code == 405


@override_settings(MIDDLEWARE=["django.middleware.common.CommonMiddleware"])
def test_views_work_without_middleware(client: Client) -> None:
    """Without the middleware the views still answer, behind host validation."""
    assert client.get("/health/live/").status_code == 200
    assert client.get("/health/ready/").status_code == 200
    assert client.get("/health/live/", HTTP_HOST="127.0.0.1").status_code == 400
