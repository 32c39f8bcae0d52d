"""moa-ops' README, followed in a new project: probes, drain and the deploy checks."""

from __future__ import annotations

import time
from collections.abc import Callable
from subprocess import Popen

import pytest
from project import Client, Project


@pytest.fixture(scope="module")
def project(follow_readme: Callable[[str], Project]) -> Project:
    return follow_readme("moa-ops")


def wait_for_status(
    client: Client, path: str, status: int, *, unless_exited: Popen[bytes] | None = None
) -> int:
    """Poll ``path`` until it answers ``status`` (or ``unless_exited`` ends); return it."""
    deadline = time.monotonic() + 10
    while True:
        seen = client.request(path).status
        if seen == status or time.monotonic() > deadline:
            return seen
        if unless_exited is not None and unless_exited.poll() is not None:
            return seen
        time.sleep(0.1)


def test_check_passes(project: Project) -> None:
    """``manage.py check`` finds nothing: the middleware is first and the URLs included."""
    assert "System check identified no issues (0 silenced)." in project.manage("check")


def test_probes_answer(client: Client) -> None:
    """The three endpoints of the README's table answer 200 on a migrated project."""
    live = client.request("/health/live/")
    assert (live.status, live.json()) == (200, {"status": "ok"})
    ready = client.request("/health/ready/")
    assert ready.status == 200, ready.text
    report = client.request("/health/")
    assert report.status == 200
    assert report.json()["status"] == "ok"
    assert set(report.json()["checks"]) >= {"database", "cache", "migrations", "draining"}


def test_probes_skip_allowed_hosts(client: Client) -> None:
    """A probe addressed to a name ALLOWED_HOSTS refuses still gets its answer."""
    assert client.request("/admin/login/", headers={"Host": "web-1"}).status == 400
    assert client.request("/health/live/", headers={"Host": "web-1"}).status == 200


def test_container_probe(project: Project, client: Client) -> None:
    """``python -m moa_ops.healthcheck URL`` exits 0 against the live endpoint."""
    project.sh(f"python -m moa_ops.healthcheck {client.base_url}/health/live/")


def test_drain_flips_readiness(project: Project, client: Client) -> None:
    """``manage.py drain`` as written turns readiness to 503 while the host serves on."""
    drain = project.start(str(project.venv / "bin" / "python"), "manage.py", "drain")
    try:
        status = wait_for_status(client, "/health/ready/", 503, unless_exited=drain)
        assert drain.poll() is None, project.log.read_text()[-1000:]  # waits, as it says
        assert status == 503
        assert client.request("/health/live/").status == 200
    finally:
        drain.terminate()
        drain.wait(timeout=10)
    assert project.manage("drain", "--status").strip() == "draining"
    project.manage("drain", "--undo")
    assert wait_for_status(client, "/health/ready/", 200) == 200


def test_check_deploy_warns(project: Project) -> None:
    """``check --deploy`` names the missing SMTP timeout a new project has."""
    output = project.manage("check", "--deploy")
    assert "moa_ops.W005" in output
    assert "moa_ops.W006" not in output
    assert "moa_ops.W007" not in output
