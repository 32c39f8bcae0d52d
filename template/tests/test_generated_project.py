"""Representative generated projects: their own tests, migrations, deploy checks, servers.

All combinations share one virtualenv. It sees this environment's packages
through a .pth file and installs the Moa packages by name from a local package
index (moa_testsupport.index); the projects' requirements then install with
--no-index, so a generated requirement this environment lacks fails here. One
test runs the README's install command as written, in a virtualenv of its own.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import secrets
import signal
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from baking import bake, dotenv
from generated import (
    MOA_PACKAGES,
    clean_env,
    collect_static,
    dockerfile_env,
    free_port,
    includes,
    loopback_command,
    make_venv,
    moa_versions,
    ping_over_websocket,
    probe,
    production_env,
    run,
    server,
)
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect
from websockets.typing import Origin


def test_readme_install_command_runs_as_written(tmp_path, index_env):
    """The README's first command installs a new project's requirements in a fresh virtualenv.

    The command runs as written; pip finds the Moa packages on the local index
    only through its environment variables, as it would find a real index.
    """
    path = bake(tmp_path)
    readme = (path / "README.md").read_text()
    command = readme.split("```console\n", 1)[1].splitlines()[0]
    assert command == "python -m pip install -r requirements/local.txt"
    venv = tmp_path / "venv"
    make_venv(venv)
    # PIP_NO_COMPILE only skips writing .pyc files, which the test never needs.
    env = clean_env(**index_env, VIRTUAL_ENV=str(venv), PIP_NO_COMPILE="1")
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env['PATH']}"

    run(["bash", "-c", command], path, env, timeout=600)

    listed = run(["python", "-m", "pip", "list", "--format=json"], path, env).stdout
    installed = {item["name"]: item["version"] for item in json.loads(listed)}
    assert {name: installed.get(name) for name in MOA_PACKAGES} == moa_versions()
    check = run(["python", "manage.py", "check"], path, env)
    assert "System check identified no issues" in check.stdout


def test_generated_tests_pass(project, tmp_path):
    """The project's own suite passes right after generation (SQLite, in-memory layer).

    It runs as CI runs it, with coverage at or above pyproject.toml's fail_under
    (test_tooling.py shows a run below it fails).
    """
    _, path, python = project
    env = clean_env(COVERAGE_FILE=str(tmp_path / ".coverage"))

    result = run([python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--cov"], path, env)

    assert re.search(r"\d+ passed", result.stdout)
    assert not re.search(r"\d+ skipped", result.stdout)
    assert re.search(r"Required test coverage of [\d.]+% reached", result.stdout)


def test_generated_tests_pass_on_postgresql_and_redis(project):
    """With DATABASE_URL and REDIS_URL set, as in the generated CI workflow."""
    from moa_testsupport.services import require_redis, require_service

    name, path, python = project
    if name != "defaults":
        pytest.skip("the embedded combination does not use PostgreSQL or Redis")
    require_service("postgresql", "127.0.0.1", 5432)
    require_redis()
    # A database and a Redis db of our own: other suites (and this one on the other
    # Django version, in parallel) create test databases at the same time.
    import django

    env = clean_env(
        DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/moa_template_{os.getpid()}",
        REDIS_URL=f"redis://127.0.0.1:6379/{9 + django.VERSION[0] % 5}",
    )

    result = run([python, "-m", "pytest", "-q", "-p", "no:cacheprovider"], path, env)

    assert re.search(r"\d+ passed", result.stdout)


def test_migrations_are_complete(project):
    """No model change lacks its migration."""
    _, path, python = project

    run([python, "manage.py", "makemigrations", "--check", "--dry-run"], path, clean_env())


def test_deploy_checks_pass_with_production_settings(project, tmp_path):
    """`check --deploy --fail-level WARNING` passes, moa-ops' deploy checks included."""
    name, path, python = project

    env = production_env(name, tmp_path)
    env["UVICORN_WS_MAX_SIZE"] = dockerfile_env(path, "UVICORN_WS_MAX_SIZE")

    result = run([python, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], path, env)

    assert "System check identified no issues" in result.stdout


# A user, their mindmap and a logged-in session, as a browser would have them.
CREATE_MINDMAP_SESSION = """
import json
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from moa_mindmap.models import Mindmap

user = get_user_model().objects.create_user("smoke", "smoke@example.com", "smoke-password")
mindmap = Mindmap.objects.create(title="Smoke", owner=user)
client = Client()
client.force_login(user)
cookie = client.cookies[settings.SESSION_COOKIE_NAME]
print(json.dumps({"id": mindmap.pk, "cookie": f"{cookie.key}={cookie.value}"}))
"""


def create_mindmap_session(python: Path, path: Path, env: dict[str, str]) -> dict[str, Any]:
    """Run CREATE_MINDMAP_SESSION in the project; return the mindmap id and the cookie."""
    shell = run([python, "manage.py", "shell", "-c", CREATE_MINDMAP_SESSION], path, env)
    return json.loads(shell.stdout.strip().splitlines()[-1])


def join_mindmap_over_websocket(port: int, mindmap_id: int, cookie: str) -> dict[str, object]:
    """Open the editor's WebSocket as a logged-in browser; return the first frame."""
    url = f"ws://127.0.0.1:{port}/ws/mindmap/{mindmap_id}/"
    with connect(
        url,
        origin=Origin(f"http://127.0.0.1:{port}"),
        additional_headers={"Cookie": cookie},
        open_timeout=10,
    ) as websocket:
        return json.loads(websocket.recv(timeout=10))


def ping_with(port: int, message: str) -> str:
    """Send ``message`` on ws/ping/; return the answer."""
    with connect(
        f"ws://127.0.0.1:{port}/ws/ping/", origin=Origin("https://example.com"), open_timeout=10
    ) as websocket:
        websocket.send(message)
        return str(websocket.recv(timeout=10))


def claim_https(port: int, source: str) -> tuple[int, str | None]:
    """GET / from ``source`` saying `X-Forwarded-Proto: https`; the status and Location."""
    connection = http.client.HTTPConnection(
        "127.0.0.1", port, timeout=10, source_address=(source, 0)
    )
    try:
        connection.request(
            "GET", "/", headers={"Host": "example.com", "X-Forwarded-Proto": "https"}
        )
        response = connection.getresponse()
        response.read()
        return response.status, response.getheader("Location")
    finally:
        connection.close()


def test_runserver_serves_http_and_websockets(project, tmp_path):
    """`manage.py runserver` (daphne) answers /health/live/ and WebSockets at once.

    With the mindmap, its editor's WebSocket accepts a logged-in user and sends
    the snapshot.
    """
    name, path, python = project
    env = clean_env(DATABASE_URL=f"sqlite:///{tmp_path / 'local.sqlite3'}")
    run([python, "manage.py", "migrate", "--noinput", "-v", "0"], path, env)
    collect_static(path, python)  # as the image holds them: pages name the hashed files
    session = create_mindmap_session(python, path, env) if includes(name, "mindmap") else None
    port = free_port()

    with server(
        [python, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"], path, env, port
    ):
        live = probe(python, f"http://127.0.0.1:{port}/health/live/", path)
        ready = probe(python, f"http://127.0.0.1:{port}/health/ready/", path)
        answer = ping_over_websocket(port)
        snapshot = (
            join_mindmap_over_websocket(port, session["id"], session["cookie"]) if session else None
        )

    assert live.returncode == 0, live.stderr
    assert ready.returncode == 0, ready.stderr
    assert answer == "pong"
    if session:
        assert snapshot is not None
        assert snapshot["type"] == "snapshot"
        assert snapshot["mindmap"] == {"id": session["id"], "title": "Smoke"}


def test_the_images_collectstatic_step_runs_as_written(project):
    """The build stage collects static files with the production settings, whatever the target.

    The build has no database or Redis; the step's own variables must satisfy the production
    settings, including aws-alb's rule against services on the instance itself.
    """
    _, path, python = project

    result = collect_static(path, python)

    assert "static files copied" in result.stdout
    manifest = json.loads((path / "staticfiles" / "staticfiles.json").read_text())
    assert "css/site.css" in manifest["paths"]
    assert any(name.startswith("admin/") for name in manifest["paths"])


def test_docker_command_serves_and_stops_on_sigterm(project, tmp_path):
    """The Dockerfile's CMD (uvicorn) answers its HEALTHCHECK and exits 0 on SIGTERM.

    With the mindmap, an open editor WebSocket is closed with 1012 (service
    restart) on SIGTERM, so the browser reconnects to another instance.
    """
    name, path, python = project
    if name == "defaults":
        pytest.skip("production settings of this combination need PostgreSQL and Redis")
    env = production_env(name, tmp_path)
    env["FORWARDED_ALLOW_IPS"] = "127.0.0.1"
    env["UVICORN_WS_MAX_SIZE"] = dockerfile_env(path, "UVICORN_WS_MAX_SIZE")
    run([python, "manage.py", "migrate", "--noinput", "-v", "0"], path, env)
    session = create_mindmap_session(python, path, env) if includes(name, "mindmap") else None
    port = free_port()
    command = loopback_command(python, path, port)

    with server(command, path, env, port) as process, ExitStack() as stack:
        live = probe(python, f"http://127.0.0.1:{port}/health/live/", path)
        home = probe(python, f"http://127.0.0.1:{port}/", path)
        forged = claim_https(port, source="127.0.0.2")
        within_limit = ping_with(port, "x" * 20_000)
        with pytest.raises(ConnectionClosed) as oversized:
            ping_with(port, "x" * 40_000)
        from_proxy = claim_https(port, source="127.0.0.1")
        if session:
            editor = stack.enter_context(
                connect(
                    f"ws://127.0.0.1:{port}/ws/mindmap/{session['id']}/",
                    origin=Origin("https://example.com"),
                    additional_headers={"Cookie": session["cookie"]},
                    open_timeout=10,
                )
            )
            snapshot = json.loads(editor.recv(timeout=10))
        process.send_signal(signal.SIGTERM)
        if session:
            with pytest.raises(ConnectionClosed) as closed:
                editor.recv(timeout=30)
        exit_code = process.wait(30)

    assert live.returncode == 0, live.stderr
    # A peer uvicorn does not trust (FORWARDED_ALLOW_IPS) cannot pass plain HTTP
    # off as https; the proxy it trusts can.
    assert forged == (301, "https://example.com/")
    assert from_proxy == (200, None)
    # The Dockerfile's UVICORN_WS_MAX_SIZE: uvicorn refuses a frame above it.
    assert json.loads(within_limit)["error"] == "send the text 'ping'"
    assert oversized.value.rcvd is not None
    assert oversized.value.rcvd.code == 1009
    # Only the probe paths skip host validation: 127.0.0.1 is not an allowed host.
    assert home.returncode == 1
    assert " 400" in home.stderr
    # uvicorn re-raises SIGTERM after its graceful shutdown: it stopped by itself.
    assert exit_code in (0, -signal.SIGTERM)
    if session:
        assert snapshot is not None
        assert snapshot["type"] == "snapshot"
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 1012


def container_env(path: Path, service: str, dotenv_values: dict[str, str]) -> dict[str, str]:
    """What ``docker compose`` gives ``service``: the image's ENV, .env, then ``environment:``."""
    import yaml

    compose = yaml.safe_load((path / "compose.yaml").read_text())["services"][service]
    assert compose["env_file"] == ".env"
    env = clean_env(
        DJANGO_SETTINGS_MODULE=dockerfile_env(path, "DJANGO_SETTINGS_MODULE"),
        UVICORN_WS_MAX_SIZE=dockerfile_env(path, "UVICORN_WS_MAX_SIZE"),
    )
    env.update(dotenv_values)
    env.update({name: str(value) for name, value in compose["environment"].items()})
    return env


def test_instances_behind_the_load_balancer_share_one_database_and_channel_layer(project):
    """aws-alb: two instances, set up as compose.yaml and .env set up each host's, are one site.

    A session made on one host logs in on the other, and an edit on one host's
    mindmap reaches an editor connected to the other host through the one Redis.
    """
    from moa_testsupport.services import postgres_database, require_redis

    name, path, python = project
    if name != "defaults":
        pytest.skip("only deploy_target=aws-alb runs instances on several hosts")
    require_redis()
    import django

    with postgres_database(f"moa_template_alb_{os.getpid()}") as database_url:
        # What a person writes into each host's .env from .env.example: the shared
        # services' addresses (here this machine's, which the settings refuse unless told).
        values = dotenv(path / ".env.example")
        values.update(
            DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
            DATABASE_URL=database_url,
            REDIS_URL=f"redis://127.0.0.1:6379/{12 + django.VERSION[0] % 3}",
            DJANGO_ALLOW_HOST_LOCAL_SERVICES="true",
        )
        env = container_env(path, "web1", values)
        run([python, "manage.py", "migrate", "--noinput", "-v", "0"], path, env)
        session = create_mindmap_session(python, path, env)
        ports = [free_port(), free_port()]
        with ExitStack() as stack:
            sockets = []
            for host, port in enumerate(ports, start=1):
                command = loopback_command(python, path, port)
                host_env = container_env(path, f"web{host}", values)
                stack.enter_context(server(command, path, host_env, port))
                socket_ = stack.enter_context(
                    connect(
                        f"ws://127.0.0.1:{port}/ws/mindmap/{session['id']}/",
                        origin=Origin(f"https://{values['DJANGO_ALLOWED_HOSTS']}"),
                        additional_headers={"Cookie": session["cookie"]},
                        open_timeout=10,
                    )
                )
                sockets.append(socket_)
            first_frames = [json.loads(socket_.recv(timeout=10)) for socket_ in sockets]
            sockets[0].send(
                json.dumps({"type": "op", "op": "node.create", "id": "alb-1", "text": "shared"})
            )
            seen = None
            deadline = time.monotonic() + 10
            while seen is None and time.monotonic() < deadline:
                frame = json.loads(sockets[1].recv(timeout=10))
                for item in frame["frames"] if frame["type"] == "batch" else [frame]:
                    if item["type"] == "applied" and item["id"] == "alb-1":
                        seen = item

    # Both hosts accepted the one session (one database) and served the one map.
    assert [frame["type"] for frame in first_frames] == ["snapshot", "snapshot"]
    # The edit made on host 1 reached host 2's editor: one channel layer.
    assert seen is not None
    assert seen["nodes"][0]["text"] == "shared"
