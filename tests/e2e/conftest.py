"""The e2e stack, built once per session and torn down by process id, also on failure.

On loopback only: a private PostgreSQL cluster and redis-server (the fault tests stop them,
so never the shared ones), a project generated from template/, its two app instances
(compose services web1 and web2 run with the Dockerfile's uvicorn command) and nginx with a
self-signed certificate, configured by the generated nginx/site.conf.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from e2e_harness.services import PostgresCluster, RedisServer, postgres_bin_dir
from e2e_harness.stack import SERVICES, Instance, Nginx, Stack, generate_project

from moa_testsupport.servers import ProcessGroup
from moa_testsupport.services import services_required
from moa_testsupport.tls import make_certificate


def require_program(name: str, found: object) -> None:
    """Skip when a program the stack needs is not installed; fail in CI."""
    if found:
        return
    message = f"{name} is not installed"
    if services_required():
        pytest.fail(message + " and MOA_REQUIRE_SERVICES=1", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The running stack: its services, instances, nginx and seed data."""
    nginx_binary = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )
    require_program("nginx", nginx_binary)
    pg_bin = postgres_bin_dir()
    require_program("PostgreSQL (initdb)", pg_bin)
    redis_binary = shutil.which("redis-server")
    require_program("redis-server", redis_binary)
    assert pg_bin is not None
    assert redis_binary is not None

    root = tmp_path_factory.mktemp("e2e")
    group = ProcessGroup()
    postgres = PostgresCluster(group, pg_bin)
    try:
        project, answers = generate_project(root / "project")
        cert, key = make_certificate(root / "certs", "app.moa-e2e.test")
        postgres.init()
        redis = RedisServer(group, redis_binary, root)
        redis.start()
        stack = Stack(
            root=root, group=group, project=project, answers=answers,
            database_url=postgres.url, redis_url=redis.url, cert=cert, key=key,
            postgres=postgres, redis=redis,
        )  # fmt: skip
        stack.build_image()
        stack.run_one_offs()
        seed_output = root / "seed.json"
        stack.manage(
            "shell", "-c",
            f"import runpy; runpy.run_path({str(Path(__file__).parent / 'e2e_harness' / 'seed_data.py')!r})",  # noqa: E501
            env=stack.base_env(E2E_SEED_OUTPUT=str(seed_output)),
        )  # fmt: skip
        stack.seed = json.loads(seed_output.read_text())
        stack.start_services()
        stack.front = stack.start_nginx("nginx", [stack.instances[n].port for n in SERVICES])
        stack.write_compose_state()
        yield stack
    finally:
        group.stop_all()
        postgres.cleanup()


@pytest.fixture
def mindmap_stack(stack: Stack) -> Stack:
    """The stack, for tests that drive the mindmap the template wires in."""
    assert stack.has_mindmap, "the e2e project is generated with use_mindmap=yes"
    return stack


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print the rolling deploy's figures: requests, failures, latency, deploy duration."""
    module = sys.modules.get("test_rolling_deploy")
    for line in getattr(module, "REPORT_LINES", []):
        terminalreporter.write_line(line)


def pytest_report_header(config: pytest.Config) -> str:
    return f"e2e: MOA_REQUIRE_SERVICES={os.environ.get('MOA_REQUIRE_SERVICES', '')!r}"


class Spawner:
    """Extra instances and nginx servers for one test, stopped when it ends."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.processes: list[subprocess.Popen[bytes] | None] = []

    def instance(
        self,
        name: str,
        settings_body: str | None = None,
        *,
        ready: bool = True,
        asgi_attribute: str = "application",
        **env: str,
    ) -> Instance:
        """Start an app instance, with an overlay on the production settings if given.

        ``asgi_attribute`` serves another object of the project's ``asgi`` module, such
        as ``django_asgi_app``: Django's handler without the ASGI wrappers.
        """
        if settings_body is not None:
            env["DJANGO_SETTINGS_MODULE"] = self.stack.write_settings(f"e2e_{name}", settings_body)
        instance, process = self.stack.start_extra_instance(
            name, asgi_attribute=asgi_attribute, **env
        )
        self.processes.append(process)
        if ready:
            self.stack.wait_ready(instance)
        return instance

    def nginx(
        self, name: str, upstream_ports: list[int], transform: Callable[[str], str] | None = None
    ) -> Nginx:
        nginx = self.stack.start_nginx(name, upstream_ports, transform)
        self.processes.append(nginx.process)
        return nginx

    def stop(self) -> None:
        for process in reversed(self.processes):
            if process is not None:
                self.stack.group.stop(process)


@pytest.fixture
def spawn(stack: Stack) -> Iterator[Spawner]:
    spawner = Spawner(stack)
    try:
        yield spawner
    finally:
        spawner.stop()
