"""Incident 2, the unhealthy container: the probe from inside the container must reach the app.

The probe runs against 127.0.0.1 while ALLOWED_HOSTS holds only the public domain, exactly as
the generated Dockerfile's HEALTHCHECK and compose.yaml's health check run it.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from e2e_harness.stack import DOMAIN, SERVICES, Instance, Stack


def dockerfile_healthcheck(stack: Stack) -> list[str]:
    text = (stack.project / "Dockerfile").read_text().replace("\\\n", " ")
    match = re.search(r"^HEALTHCHECK .*?CMD (\[.*?\])\s*$", text, re.MULTILINE)
    assert match, "the generated Dockerfile has no exec-form HEALTHCHECK"
    return list(json.loads(match.group(1)))


def compose_healthcheck(stack: Stack) -> list[str]:
    match = re.search(
        r'test: (\["CMD", "python".*?\])', (stack.project / "compose.yaml").read_text()
    )
    assert match, "compose.yaml's web service has no python health check"
    return list(json.loads(match.group(1)))[1:]


def run_probe(argv: list[str], instance: Instance) -> subprocess.CompletedProcess[str]:
    """Run a container probe command against ``instance`` instead of the container's :8000."""
    assert argv[:3] == ["python", "-m", "moa_ops.healthcheck"], argv
    url = argv[3].replace("127.0.0.1:8000", f"127.0.0.1:{instance.port}")
    assert url.startswith(f"http://127.0.0.1:{instance.port}/health/")
    return subprocess.run(
        [sys.executable, "-m", "moa_ops.healthcheck", url, *argv[4:]],
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip


@pytest.mark.parametrize("probe", ["Dockerfile HEALTHCHECK", "compose health check"])
@pytest.mark.parametrize("service", SERVICES)
def test_container_probe_passes_with_production_allowed_hosts(
    stack: Stack, probe: str, service: str
) -> None:
    """The probe exits 0 on 127.0.0.1 though ALLOWED_HOSTS lists only the public domain."""
    instance = stack.instances[service]
    argv = (
        dockerfile_healthcheck(stack)
        if probe.startswith("Dockerfile")
        else compose_healthcheck(stack)
    )

    result = run_probe(argv, instance)

    assert instance.env["DJANGO_ALLOWED_HOSTS"] == DOMAIN
    assert result.returncode == 0, result.stderr
    assert result.stderr.startswith("healthy:")


NO_PROBE_MIDDLEWARE = (
    'MIDDLEWARE = [m for m in MIDDLEWARE if m != "moa_ops.middleware.HealthProbeMiddleware"]\n'
    'SILENCED_SYSTEM_CHECKS = ["moa_ops.W006"]'
)


def test_probe_fails_with_400_without_moas_probe_layers(stack: Stack, spawn) -> None:
    """Plain Django (no LiveProbeASGIMiddleware, no HealthProbeMiddleware): host
    validation answers the container's probe 400, so the container is unhealthy."""
    instance = spawn.instance(
        "no-probe-layers", NO_PROBE_MIDDLEWARE, ready=False, asgi_attribute="django_asgi_app"
    )

    result = run_probe(dockerfile_healthcheck(stack), instance)

    assert result.returncode == 1
    assert result.stderr.rstrip().endswith(" 400"), result.stderr


def test_liveness_needs_only_the_asgi_wrapper(stack: Stack, spawn) -> None:
    """The generated asgi.py answers liveness before Django even without the middleware;
    readiness goes through Django, so it is HealthProbeMiddleware that answers it."""
    instance = spawn.instance("no-probe-middleware", NO_PROBE_MIDDLEWARE, ready=False)
    argv = dockerfile_healthcheck(stack)

    live = run_probe(argv, instance)
    ready = run_probe([*argv[:3], argv[3].replace("/health/live/", "/health/ready/")], instance)

    assert live.returncode == 0, live.stderr
    assert ready.returncode == 1
    assert ready.stderr.rstrip().endswith(" 400"), ready.stderr
