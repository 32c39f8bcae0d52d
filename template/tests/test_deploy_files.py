"""The Dockerfile, compose file, nginx site and workflows of every combination."""

from __future__ import annotations

import configparser
import datetime
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

BIN = Path(sys.executable).parent


def distinct(projects: dict[str, Path], name: str) -> dict[str, Path]:
    """One file per distinct content (many combinations render the same file)."""
    seen: dict[str, Path] = {}
    for project in projects.values():
        for path in sorted(project.glob(name)):
            seen.setdefault(path.read_text(), path)
    return {str(path): path for path in seen.values()}


def run(*command: str | Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(part) for part in command],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def dockerfile_instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs with continuation lines joined."""
    text = re.sub(r"\\\n\s*", " ", path.read_text())
    pairs = []
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            keyword, _, rest = line.strip().partition(" ")
            pairs.append((keyword.upper(), rest.strip()))
    return pairs


def seconds(value: str | int) -> float:
    match = re.fullmatch(r"(\d+)(s|m)?", str(value))
    assert match, value
    return int(match[1]) * (60 if match[2] == "m" else 1)


# Dockerfile ----------------------------------------------------------------


def test_dockerfiles_pass_hadolint(valid_projects):
    """hadolint finds nothing, not even style notes."""
    files = distinct(valid_projects, "Dockerfile")

    result = run(BIN / "hadolint", "--failure-threshold", "style", *files)

    assert result.returncode == 0, result.stdout


def test_dockerfile_runs_uvicorn_as_non_root_with_a_curl_free_healthcheck(valid_projects):
    """Multi-stage, non-root, exec-form CMD (SIGTERM reaches uvicorn), probe without curl."""
    for path in distinct(valid_projects, "Dockerfile").values():
        instructions = dockerfile_instructions(path)
        last_stage = instructions[max(i for i, (k, _) in enumerate(instructions) if k == "FROM") :]
        final = dict(last_stage)

        assert sum(keyword == "FROM" for keyword, _ in instructions) >= 2
        assert final["USER"] not in ("root", "0")
        command = json.loads(final["CMD"])
        assert command[0] == "uvicorn"
        assert "--proxy-headers" in command
        healthcheck = final["HEALTHCHECK"]
        assert "moa_ops.probe" in healthcheck
        assert "curl" not in healthcheck
        assert json.loads(healthcheck[healthcheck.index("CMD") + 3 :])[:3] == [
            "python",
            "-m",
            "moa_ops.probe",
        ]


# compose.yaml --------------------------------------------------------------


def test_compose_files_match_the_compose_spec(valid_projects):
    """check-jsonschema's built-in compose-spec schema accepts every variant."""
    files = distinct(valid_projects, "compose.yaml")

    result = run(BIN / "check-jsonschema", "--builtin-schema", "vendor.compose-spec", *files)

    assert result.returncode == 0, result.stdout + result.stderr


def test_every_healthy_dependency_has_a_health_check(valid_projects):
    """`condition: service_healthy` on a service without a health check waits forever."""
    for path in distinct(valid_projects, "compose.yaml").values():
        services = yaml.safe_load(path.read_text())["services"]
        for name, service in services.items():
            for dependency, rule in (service.get("depends_on") or {}).items():
                if rule.get("condition") != "service_healthy":
                    continue
                check = services[dependency].get("healthcheck", {})
                assert check.get("test"), f"{path}: {name} waits on {dependency}"
                assert not check.get("disable"), f"{path}: {name} waits on {dependency}"


def test_app_instances_outlive_the_drain_and_publish_no_port(valid_projects):
    """Stop grace period > drain timeout and uvicorn's graceful shutdown; only nginx listens."""
    for path in distinct(valid_projects, "compose.yaml").values():
        services = yaml.safe_load(path.read_text())["services"]
        dockerfile = path.parent / "Dockerfile"
        cmd = json.loads(dict(dockerfile_instructions(dockerfile))["CMD"])
        graceful_s = float(cmd[cmd.index("--timeout-graceful-shutdown") + 1])
        web = {name: s for name, s in services.items() if name.startswith("web")}

        assert len(web) in (1, 2)
        for service in web.values():
            grace_s = seconds(service["stop_grace_period"])
            assert grace_s > float(service["environment"]["MOA_OPS_DRAIN_TIMEOUT"])
            assert grace_s > graceful_s
            assert "ports" not in service
            assert "/health/ready/" in " ".join(service["healthcheck"]["test"])
        assert services["nginx"]["healthcheck"]["test"][-1].endswith("/nginx-health")


# GitHub Actions ------------------------------------------------------------


def test_workflows_match_the_github_schema(valid_projects):
    """check-jsonschema's built-in GitHub workflow schema accepts every workflow."""
    files = distinct(valid_projects, ".github/workflows/*.yml")

    result = run(BIN / "check-jsonschema", "--builtin-schema", "vendor.github-workflows", *files)

    assert len(files) >= 2
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_security_group_opening_is_closed_with_if_always(valid_projects):
    """A failed deploy must not leave the runner's address in the security group."""
    workflows = distinct(valid_projects, ".github/workflows/*.yml")
    authorizations = 0
    for path in workflows.values():
        for job in yaml.safe_load(path.read_text())["jobs"].values():
            steps = job.get("steps", [])
            for index, step in enumerate(steps):
                if "authorize-security-group-ingress" not in step.get("run", ""):
                    continue
                authorizations += 1
                revokes = [
                    later
                    for later in steps[index + 1 :]
                    if "revoke-security-group-ingress" in later.get("run", "")
                    and "always()" in str(later.get("if", ""))
                ]
                assert revokes, f"{path}: {step['name']} is never revoked with if: always()"

    assert authorizations >= 1


def test_alb_deploy_waits_for_deregistration_and_health(valid_projects):
    """Deregister, wait for the ALB (no fixed sleep), healthy three times, register."""
    scripts = distinct(valid_projects, "deploy/alb-rolling-update.sh")
    assert scripts
    for path in scripts.values():
        text = path.read_text()
        order = [
            text.index("aws elbv2 deregister-targets"),
            text.index("aws elbv2 wait target-deregistered"),
            text.index("docker compose up"),
            text.index('if ready_on_host "$host"'),
            text.index("aws elbv2 register-targets"),
            text.index("aws elbv2 wait target-in-service"),
        ]

        assert order == sorted(order)
        assert "HEALTHY_IN_A_ROW=3" in text
        assert not re.search(r"sleep\s+[1-9]\d{2,}", text)


def test_rolling_restart_drains_before_stopping(valid_projects):
    """Drain, stop, start, wait healthy, re-enable: in that order."""
    scripts = distinct(valid_projects, "deploy/rolling-restart.sh")
    assert scripts
    for path in scripts.values():
        text = path.read_text()
        order = [
            text.index("manage.py drain\n"),
            text.index('docker compose stop "$service"'),
            text.index('docker compose up --detach --no-deps "$service"'),
            text.index('wait_healthy "$service"'),
            text.index("manage.py drain --undo"),
        ]

        assert order == sorted(order)


# Cleanup schedule ----------------------------------------------------------


def unit_file(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(path.read_text())
    return parser


def test_cleanup_schedule_runs_one_command_daily_from_cron_and_systemd(valid_projects):
    """cron and the systemd timer run delete_unverified_users --days 3 at the same time."""
    crons = distinct(valid_projects, "deploy/cron/delete-unverified-users")
    assert crons
    for cron in crons.values():
        project = cron.parents[2]
        jobs = [
            line.split(None, 6)
            for line in cron.read_text().splitlines()
            if line.strip() and not line.startswith("#") and not re.match(r"[A-Z_]+=", line)
        ]
        units = project / "deploy" / "systemd"
        timer = unit_file(next(units.glob("*-delete-unverified-users.timer")))
        service = unit_file(next(units.glob("*-delete-unverified-users.service")))
        compose = yaml.safe_load((project / "compose.yaml").read_text())

        assert len(jobs) == 1
        minute, hour, day, month, weekday, user, command = jobs[0]
        assert (day, month, weekday, user) == ("*", "*", "*", "root")
        assert timer["Timer"]["OnCalendar"] == f"*-*-* {int(hour):02}:{int(minute):02}:00"
        assert timer["Timer"]["Persistent"] == "true"
        assert timer["Install"]["WantedBy"] == "timers.target"
        assert service["Service"]["Type"] == "oneshot"
        exec_start = service["Service"]["ExecStart"]
        assert command == 'cd "$APP_DIR" && ' + exec_start.removeprefix("/usr/bin/")
        assert exec_start.endswith(" manage.py delete_unverified_users --days 3")
        assert " compose run --rm --no-deps migrate python manage.py" in exec_start
        assert "migrate" in compose["services"]


# nginx ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def nginx() -> str:
    binary = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")
    if binary is None:
        if os.environ.get("MOA_REQUIRE_SERVICES") == "1":
            pytest.fail("nginx is required (apt-get install nginx)")
        pytest.skip("nginx is not installed")
    return binary


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[Path, Path]:
    """A throwaway self-signed certificate for nginx's TLS listener."""
    directory = tmp_path_factory.mktemp("certs")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "example.com")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "fullchain.pem", directory / "privkey.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def test_nginx_sites_pass_nginx_t(valid_projects, nginx, certificate, tmp_path):
    """Real nginx accepts every variant of the site (nginx -t, nothing listens)."""
    cert_path, key_path = certificate
    sites = distinct(valid_projects, "nginx/site.conf")
    for index, site in enumerate(sites.values()):
        prefix = tmp_path / f"site{index}"
        (prefix / "logs").mkdir(parents=True)
        # Only what exists solely inside compose changes: the upstream host
        # names (nginx resolves them at startup) and the certificate paths.
        text = site.read_text()
        text = re.sub(r"server web\d?:8000", "server 127.0.0.1:8000", text)
        text = text.replace("/etc/nginx/certs/fullchain.pem", str(cert_path))
        text = text.replace("/etc/nginx/certs/privkey.pem", str(key_path))
        (prefix / "site.conf").write_text(text)
        (prefix / "nginx.conf").write_text(
            f"pid {prefix}/nginx.pid;\n"
            f"error_log {prefix}/logs/error.log;\n"
            "events {}\n"
            "http {\n"
            f"    access_log {prefix}/logs/access.log;\n"
            f"    include {prefix}/site.conf;\n"
            "}\n"
        )

        result = run(nginx, "-t", "-q", "-p", prefix, "-c", prefix / "nginx.conf", timeout=30)

        assert result.returncode == 0, f"{site}:\n{result.stderr}"


def test_nginx_site_proxies_websockets_and_answers_its_own_health(valid_projects):
    """WebSocket upgrade via a map, long read timeout, /nginx-health, forwarded headers."""
    for path in distinct(valid_projects, "nginx/site.conf").values():
        text = path.read_text()
        ws = text[text.index("location /ws/") :]
        ws = ws[: ws.index("\n    }\n")]

        assert "map $http_upgrade $connection_upgrade" in text
        assert "proxy_set_header Upgrade           $http_upgrade;" in text
        assert "proxy_set_header Connection        $connection_upgrade;" in text
        assert "proxy_http_version 1.1;" in text
        assert "proxy_read_timeout 1h;" in ws
        assert "location = /nginx-health {\n        access_log off;" in text
        assert "proxy_set_header X-Forwarded-Proto $forwarded_proto;" in text
        assert "proxy_set_header Host              $host;" in text
        assert "proxy_next_upstream error timeout http_502;" in text
