"""The app under test: a project generated from template/, two uvicorn instances, nginx."""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from e2e_harness.services import PostgresCluster, RedisServer
from moa_testsupport.servers import ProcessGroup, free_port, port_open, wait_until
from moa_testsupport.template import bake_from, dockerfile_cmd, dockerfile_run_step

REPO_DIR = Path(__file__).resolve().parents[3]
# E2E_TEMPLATE_DIR runs the suite against another checkout of the template.
TEMPLATE_DIR = Path(os.environ.get("E2E_TEMPLATE_DIR") or REPO_DIR / "template")
SLUG = "moa_e2e"
DOMAIN = "app.moa-e2e.test"
# The production shape the issue asks for: PostgreSQL, Redis, the mindmap, two instances
# behind the bundled nginx restarted by deploy/rolling-restart.sh.
ANSWERS = {
    "project_name": "Moa E2E",
    "project_slug": SLUG,
    "domain": DOMAIN,
    "database": "postgresql",
    "channel_layer": "redis",
    "use_mindmap": "yes",
    "use_signup": "yes",
    "email_backend": "console",
    "ci": "none",
    "deploy_target": "single-host",
}
SERVICES = ("web1", "web2")


def generate_project(output_dir: Path) -> tuple[Path, dict[str, str]]:
    """Generate the project with ANSWERS; return its directory and the answers."""
    return bake_from(TEMPLATE_DIR, output_dir, **ANSWERS), dict(ANSWERS)


def dockerfile_env(project: Path, name: str) -> str:
    match = re.search(rf"\b{name}=(\S+)", (project / "Dockerfile").read_text())
    assert match, f"the generated Dockerfile sets no {name}"
    return match.group(1)


def compose_services(project: Path) -> dict[str, Any]:
    """The services of the generated compose.yaml."""
    return dict(yaml.safe_load((project / "compose.yaml").read_text())["services"])


def compose_value(project: Path, pattern: str) -> str:
    """The first value in compose.yaml matching ``pattern`` (one group)."""
    match = re.search(pattern, (project / "compose.yaml").read_text())
    assert match, f"compose.yaml has nothing matching {pattern!r}"
    return match.group(1)


def seconds(value: str) -> float:
    match = re.fullmatch(r"(\d+)(ms|s|m)?", value.strip().strip('"'))
    assert match, f"not a duration: {value!r}"
    number, unit = int(match.group(1)), match.group(2) or "s"
    return number * {"ms": 0.001, "s": 1, "m": 60}[unit]


def nginx_version() -> tuple[int, ...]:
    """The version of the nginx the tests run, as a tuple of integers."""
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    output = subprocess.run(
        [binary, "-v"], capture_output=True, text=True, check=False, timeout=30
    ).stderr
    match = re.search(r"nginx/(\d+)\.(\d+)\.(\d+)", output)
    assert match, output
    return tuple(int(part) for part in match.groups())


def replace_once(text: str, old: str, new: str) -> str:
    """Replace ``old`` exactly once, so a template change is noticed, not silently ignored."""
    count = text.count(old)
    assert count == 1, f"expected {old!r} once in the nginx site, found it {count} times"
    return text.replace(old, new)


@dataclass
class Instance:
    """One app instance (a compose service, or an extra one for a negative test)."""

    name: str
    port: int
    env: dict[str, str]
    argv: list[str]
    log: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@dataclass
class Nginx:
    """An nginx master in the foreground, with its own prefix, pid file and logs."""

    prefix: Path
    http_port: int
    https_port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def pid_file(self) -> Path:
        return self.prefix / "nginx.pid"

    def test_argv(self) -> list[str]:
        """``nginx -t`` on this server's configuration."""
        binary = shutil.which("nginx") or "/usr/sbin/nginx"
        return [binary, "-t", "-p", str(self.prefix), "-c", str(self.prefix / "nginx.conf")]

    def access_log_lines(self) -> list[str]:
        path = self.prefix / "access.log"
        return path.read_text(errors="replace").splitlines() if path.exists() else []


def nginx_main_conf(prefix: Path) -> str:
    mime = "include /etc/nginx/mime.types;" if Path("/etc/nginx/mime.types").exists() else ""
    user = "user root root;" if os.geteuid() == 0 else ""
    return f"""\
# Written by the e2e harness around the generated project's nginx/site.conf.
{user}
worker_processes 1;
daemon off;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 2048; }}
http {{
    {mime}
    default_type application/octet-stream;
    log_format e2e '$msec $status "$request" $request_time upstream=$upstream_addr '
                   'upstream_status=$upstream_status';
    access_log {prefix}/access.log e2e;
    client_body_temp_path {prefix}/tmp/body;
    proxy_temp_path {prefix}/tmp/proxy;
    fastcgi_temp_path {prefix}/tmp/fastcgi;
    uwsgi_temp_path {prefix}/tmp/uwsgi;
    scgi_temp_path {prefix}/tmp/scgi;
    include {prefix}/site.conf;
}}
"""


@dataclass
class Stack:
    """Everything the tests drive; built once per session by conftest.py."""

    root: Path
    group: ProcessGroup
    project: Path
    answers: dict[str, str]
    database_url: str
    redis_url: str
    cert: Path
    key: Path
    postgres: PostgresCluster
    redis: RedisServer
    instances: dict[str, Instance] = field(default_factory=dict)
    front: Nginx | None = None
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(40))
    seed: dict[str, Any] = field(default_factory=dict)

    @property
    def nginx(self) -> Nginx:
        """The nginx in front of the web instances (started by the session fixture)."""
        if self.front is None:
            raise RuntimeError("the stack's nginx has not been started")
        return self.front

    # -- configuration -------------------------------------------------------------

    @property
    def has_mindmap(self) -> bool:
        return self.answers["use_mindmap"] == "yes"

    @property
    def settings_module(self) -> str:
        return dockerfile_env(self.project, "DJANGO_SETTINGS_MODULE")

    @property
    def overlay_dir(self) -> Path:
        """Settings modules that negative tests write (never the generated project)."""
        path = self.root / "overlay"
        path.mkdir(exist_ok=True)
        return path

    def base_env(self, **overrides: str) -> dict[str, str]:
        """The environment compose.yaml and .env give every web container."""
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": os.environ.get("HOME", "/root"),
            "LANG": "C.UTF-8",
            "PYTHONUNBUFFERED": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONPATH": f"{self.project}:{self.overlay_dir}",
            "DJANGO_SETTINGS_MODULE": self.settings_module,
            "DJANGO_SECRET_KEY": self.secret_key,
            "DJANGO_ALLOWED_HOSTS": DOMAIN,
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "MOA_OPS_DRAIN_TIMEOUT": compose_value(
                self.project, r'MOA_OPS_DRAIN_TIMEOUT: "?(\d+)"?'
            ),
            # compose trusts X-Forwarded-* from nginx's network; here nginx is 127.0.0.1.
            "FORWARDED_ALLOW_IPS": "127.0.0.1",
            # The image's WebSocket message limit (uvicorn reads it; moa_mindmap.W002 too).
            "UVICORN_WS_MAX_SIZE": dockerfile_env(self.project, "UVICORN_WS_MAX_SIZE"),
        }
        env.update(overrides)
        return env

    def server_argv(self, port: int) -> list[str]:
        """The Dockerfile's uvicorn command on 127.0.0.1:``port``, with this Python."""
        argv = dockerfile_cmd(self.project)
        assert argv[0] == "uvicorn", argv
        argv = [sys.executable, "-m", "uvicorn", *argv[1:]]
        argv[argv.index("--host") + 1] = "127.0.0.1"
        argv[argv.index("--port") + 1] = str(port)
        return argv

    def make_instance(
        self, name: str, *, asgi_attribute: str = "application", **env_overrides: str
    ) -> Instance:
        """An instance serving ``<project>.asgi:<asgi_attribute>`` (the Dockerfile's app)."""
        port = free_port()
        (self.root / name).mkdir(exist_ok=True)
        env = self.base_env(
            # Each container has its own /tmp, and so its own drain file.
            MOA_OPS_DRAIN_FILE=str(self.root / name / "drain"),
            **env_overrides,
        )
        argv = self.server_argv(port)
        if asgi_attribute != "application":
            [index] = [i for i, arg in enumerate(argv) if arg.endswith(".asgi:application")]
            argv[index] = argv[index].removesuffix("application") + asgi_attribute
        return Instance(name, port, env, argv, self.root / f"{name}.log")

    def manage(self, *args: str, env: dict[str, str] | None = None, timeout: float = 300) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=self.project, env=env or self.base_env(),
            capture_output=True, text=True, timeout=timeout, check=False,
        )  # fmt: skip
        assert result.returncode == 0, f"manage.py {args}:\n{result.stdout}\n{result.stderr}"
        return result.stdout

    # -- static files: the image's, and those nginx serves ---------------------------

    def build_step(self) -> dict[str, Any]:
        """``docker compose build``: the build stage's collectstatic, as the Dockerfile has it.

        Its files are the image's ``/app/staticfiles`` (the project's ``staticfiles/``
        here), whose manifest each app process reads when it starts.
        """
        variables, argv = dockerfile_run_step(self.project, "manage.py collectstatic")
        assert argv[0] == "/venv/bin/python", argv
        return {"argv": [sys.executable, *argv[1:]], "env": self.base_env(**variables)}

    def build_image(self) -> None:
        step = self.build_step()
        self.manage(*step["argv"][2:], env=step["env"])

    def nginx_static_volume(self) -> str | None:
        """The compose volume nginx serves ``/srv/static`` from; None when its image has them."""
        for mount in compose_services(self.project)["nginx"].get("volumes", []):
            source, target = mount.split(":")[:2]
            if target == "/srv/static" and not source.startswith((".", "/")):
                return str(source)
        return None

    @property
    def nginx_static_dir(self) -> Path:
        """What nginx has at ``/srv/static``: a volume, or its image's copy of the files."""
        volume = self.nginx_static_volume()
        return self.root / "volumes" / volume if volume else self.root / "nginx-image" / "static"

    def one_off(self, service: str) -> dict[str, Any]:
        """A one-off compose service (migrate, static): its command and environment here.

        Values under a path the service mounts a volume at point at the volume's directory.
        """
        spec = compose_services(self.project)[service]
        env = self.base_env()
        mounts = {}
        for mount in spec.get("volumes", []):
            source, target = mount.split(":")[:2]
            mounts[target] = self.root / "volumes" / source
            mounts[target].mkdir(parents=True, exist_ok=True)
        for name, value in (spec.get("environment") or {}).items():
            if name in env or not isinstance(value, str):
                continue
            for target, directory in mounts.items():
                if value == target or value.startswith(target + "/"):
                    value = str(directory) + value.removeprefix(target)
            env[name] = value
        return {"argv": list(spec["command"]), "env": env}

    def run_one_offs(self) -> None:
        """What ``docker compose up`` runs before the app: each one-off service, in order."""
        for name, job in self.one_off_services().items():
            argv = job["argv"]
            assert argv[:2] == ["python", "manage.py"], (name, argv)
            self.manage(*argv[2:], env=job["env"])

    def one_off_services(self) -> dict[str, dict[str, Any]]:
        services = compose_services(self.project)
        return {
            name: self.one_off(name)
            for name, spec in services.items()
            if spec.get("restart") == "no"
        }

    # -- the compose services, as the docker shim sees them -------------------------

    @property
    def state_file(self) -> Path:
        return self.root / "compose-state.json"

    @property
    def events_file(self) -> Path:
        return self.root / "compose-events.jsonl"

    def write_compose_state(
        self,
        draining: str = "on",
        *,
        drain_timeout_s: int | None = None,
        first_health_check_s: float | None = None,
    ) -> None:
        """Describe the compose services for the docker shim.

        ``drain_timeout_s`` and ``first_health_check_s`` replace compose.yaml's
        ``MOA_OPS_DRAIN_TIMEOUT`` and Docker's first health check, to deploy with
        other timings than the generated ones.
        """
        services = {}
        for name, instance in self.instances.items():
            env = dict(instance.env)
            if drain_timeout_s is not None:
                env["MOA_OPS_DRAIN_TIMEOUT"] = str(drain_timeout_s)
            services[name] = {
                "argv": instance.argv,
                "env": env,
                "log": str(instance.log),
                "pid_file": str(self.root / name / "pid"),
                "started_file": str(self.root / name / "started"),
                "drain_file": instance.env["MOA_OPS_DRAIN_FILE"],
                # compose.yaml's health check: moa_ops.probe on health/ready/.
                "health_url": f"{instance.base_url}/health/ready/",
            }
        state = {
            "project_dir": str(self.project),
            "python": sys.executable,
            "draining": draining,
            "grace_s": seconds(compose_value(self.project, r"stop_grace_period: (\S+)")),
            "first_health_check_s": (
                self.first_health_check_s()
                if first_health_check_s is None
                else first_health_check_s
            ),
            "services": services,
            "one_off": self.one_off_services(),
            "build": self.build_step(),
            "nginx_image_static": (
                None
                if self.nginx_static_volume()
                else {"from": str(self.project / "staticfiles"), "to": str(self.nginx_static_dir)}
            ),
            "nginx_test": self.front.test_argv() if self.front else None,
            "events": str(self.events_file),
            "nginx_pid_file": str(self.front.pid_file) if self.front else None,
            "db": {"env": self.db_env()},
        }
        self.state_file.write_text(json.dumps(state, indent=2))

    def db_env(self) -> dict[str, str]:
        """The compose service ``db``'s environment, pointing its clients at our cluster."""
        url = urlsplit(self.database_url)
        bin_dir = self.postgres.bin_dir
        return {
            "PATH": f"{bin_dir}:{os.environ.get('PATH', '/usr/bin:/bin')}",
            "HOME": os.environ.get("HOME", "/root"),
            "LANG": "C.UTF-8",
            "PGHOST": url.hostname or "127.0.0.1",
            "PGPORT": str(url.port or 5432),
            "POSTGRES_USER": url.username or "postgres",
            "POSTGRES_DB": url.path.lstrip("/"),
        }

    def first_health_check_s(self) -> float:
        """When Docker first runs the web health check: its start interval (Docker 25+)."""
        compose = (self.project / "compose.yaml").read_text()
        match = re.search(r"start_interval: (\S+)", compose)
        if match:
            return seconds(match.group(1))
        if "start_period:" in compose:
            return 5.0  # Docker's default start_interval during the start period
        return seconds(compose_value(self.project, r"interval: (\S+)"))

    def shim_env(self) -> dict[str, str]:
        bin_dir = self.root / "bin"
        bin_dir.mkdir(exist_ok=True)
        docker = bin_dir / "docker"
        docker.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m e2e_harness.compose_shim "$@"\n')
        docker.chmod(0o755)
        env = dict(os.environ)
        env["PATH"] = f"{bin_dir}:{env.get('PATH', '')}"
        env["PYTHONPATH"] = str(Path(__file__).resolve().parent.parent)
        env["E2E_COMPOSE_STATE"] = str(self.state_file)
        return env

    def compose_shim(self, *args: str) -> None:
        subprocess.run(
            [sys.executable, "-m", "e2e_harness.compose_shim", *args],
            env=self.shim_env(), check=True, timeout=120,
        )  # fmt: skip

    def start_services(self) -> None:
        for name in SERVICES:
            self.instances[name] = self.make_instance(name)
            self.group.watch_pid_file(self.root / name / "pid")
        self.write_compose_state()
        self.compose_shim("compose", "up", "--detach", "--no-deps", *SERVICES)
        for name in SERVICES:
            self.wait_ready(self.instances[name])

    def service_pid(self, name: str) -> int:
        return int((self.root / name / "pid").read_text())

    def wait_ready(self, instance: Instance, timeout_s: float = 60) -> None:
        wait_until(
            lambda: http_status(f"{instance.base_url}/health/ready/") == 200,
            timeout_s,
            f"{instance.name} to be ready (log: {instance.log})",
            interval_s=0.2,
        )

    # -- extra instances and nginx configurations for negative tests ----------------

    def start_extra_instance(
        self, name: str, *, asgi_attribute: str = "application", **env_overrides: str
    ) -> tuple[Instance, subprocess.Popen[bytes]]:
        """Start an instance outside the compose services; it and its process."""
        instance = self.make_instance(name, asgi_attribute=asgi_attribute, **env_overrides)
        process = self.group.start(
            instance.argv, log=instance.log, cwd=self.project, env=instance.env,
            stop_timeout_s=10,
        )  # fmt: skip
        wait_until(lambda: port_open(instance.port), 60, f"{name} to listen ({instance.log})")
        return instance, process

    def write_settings(self, module: str, body: str, base: str | None = None) -> str:
        """Write an overlay settings module on top of the project's settings (production)."""
        base = base or self.settings_module
        (self.overlay_dir / f"{module}.py").write_text(
            f"from {base} import *  # noqa: F403\n"
            f"from {base} import MIDDLEWARE, INSTALLED_APPS  # noqa: F401\n"
            f"{body}\n"
        )
        return module

    def nginx_site(self, upstream_ports: list[int], http_port: int, https_port: int) -> str:
        """The generated nginx/site.conf with loopback addresses in place of compose names."""
        site = (self.project / "nginx" / "site.conf").read_text()
        servers = re.findall(r"^\s*server (web\d?):8000\b", site, re.MULTILINE)
        assert servers, "the nginx site has no upstream servers"
        for index, server in enumerate(servers):
            port = upstream_ports[index % len(upstream_ports)]
            site = replace_once(site, f"server {server}:8000", f"server 127.0.0.1:{port}")
        site = replace_once(site, "listen 80;", f"listen 127.0.0.1:{http_port};")
        site = replace_once(site, "listen 443 ssl;", f"listen 127.0.0.1:{https_port} ssl;")
        if nginx_version() < (1, 25, 1):
            # Debian 12's nginx 1.22 knows HTTP/2 only as a listen parameter; the image's
            # nginx 1.27 reads the site's `http2 on;`.
            site = replace_once(site, "    http2 on;\n", "")
            site = replace_once(site, f"{https_port} ssl;", f"{https_port} ssl http2;")
        site = replace_once(site, "/etc/nginx/certs/fullchain.pem", str(self.cert))
        site = replace_once(site, "/etc/nginx/certs/privkey.pem", str(self.key))
        return replace_once(site, "alias /srv/static/;", f"alias {self.nginx_static_dir}/;")

    def start_nginx(
        self,
        name: str,
        upstream_ports: list[int],
        transform: Callable[[str], str] | None = None,
    ) -> Nginx:
        prefix = self.root / name
        (prefix / "tmp").mkdir(parents=True, exist_ok=True)
        nginx = Nginx(prefix, free_port(), free_port())
        if not self.nginx_static_dir.exists():
            self.copy_nginx_image_static()
        site = self.nginx_site(upstream_ports, nginx.http_port, nginx.https_port)
        if transform is not None:
            site = transform(site)
        (prefix / "site.conf").write_text(site)
        (prefix / "nginx.conf").write_text(nginx_main_conf(prefix))
        binary = shutil.which("nginx") or "/usr/sbin/nginx"
        test = subprocess.run(
            nginx.test_argv(), capture_output=True, text=True, check=False, timeout=30
        )
        assert test.returncode == 0, f"nginx -t failed:\n{test.stderr}"
        nginx.process = self.group.start(
            [binary, "-p", prefix, "-c", prefix / "nginx.conf"],
            log=prefix / "stderr.log", stop_signal=signal.SIGQUIT, stop_timeout_s=10,
        )  # fmt: skip
        wait_until(
            lambda: port_open(nginx.https_port) and nginx.pid_file.exists(),
            30, f"nginx to listen ({prefix})",
        )  # fmt: skip
        return nginx

    def copy_nginx_image_static(self) -> None:
        """A new nginx container whose image holds the static files: the image's copy."""
        if self.nginx_static_volume() is None:
            shutil.rmtree(self.nginx_static_dir, ignore_errors=True)
            shutil.copytree(self.project / "staticfiles", self.nginx_static_dir)

    def stop_nginx(self, nginx: Nginx) -> None:
        if nginx.process is not None:
            self.group.stop(nginx.process)


def http_status(url: str, timeout_s: float = 5) -> int | None:
    """GET ``url`` on loopback without following redirects; the status, None when unreachable."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(url, timeout=timeout_s) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
    except (urllib.error.URLError, OSError):
        return None


def http_json(url: str, timeout_s: float = 5) -> tuple[int | None, dict[str, Any]]:
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:
            return int(response.status), json.loads(response.read())
    except urllib.error.HTTPError as error:
        return int(error.code), json.loads(error.read() or b"{}")
    except (urllib.error.URLError, OSError, ValueError):
        return None, {}
