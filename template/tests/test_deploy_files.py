"""The Dockerfile, compose file, nginx site and workflows of every combination."""

from __future__ import annotations

import configparser
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from baking import combo_id, dotenv, valid_combinations
from nginx_site import check_config, local_site, main_conf

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


def test_every_image_target_the_workflows_build_is_a_stage_of_the_dockerfile(valid_projects):
    """`docker build --target X` in CI fails when the Dockerfile has no stage X."""
    for project in valid_projects.values():
        workflow = project / ".github" / "workflows" / "ci.yml"
        if not workflow.exists():
            continue
        stages = {
            value.split(" AS ")[-1].strip()
            for keyword, value in dockerfile_instructions(project / "Dockerfile")
            if keyword == "FROM" and " AS " in value
        }
        targets = set(re.findall(r"--target (\S+)", workflow.read_text()))

        assert targets, workflow
        assert targets <= stages, (workflow, targets - stages)


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
        assert "moa_ops.healthcheck" in healthcheck
        assert "curl" not in healthcheck
        assert json.loads(healthcheck[healthcheck.index("CMD") + 3 :])[:3] == [
            "python",
            "-m",
            "moa_ops.healthcheck",
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


def test_nginx_serves_the_static_volume_collectstatic_fills_before_the_app_starts(valid_projects):
    """Static files: a volume the `static` job fills, served by a stock nginx that is reloaded.

    nginx's image used to hold the static files. After a rolling restart an instance of the
    new release named hashed files the old nginx lacked (404) until nginx was recreated,
    which closed every open WebSocket.
    """
    for path in distinct(valid_projects, "compose.yaml").values():
        services = yaml.safe_load(path.read_text())["services"]
        nginx, static = services["nginx"], services["static"]
        site = (path.parent / "nginx" / "site.conf").read_text()
        stages = [value for keyword, value in dockerfile_instructions(path.parent / "Dockerfile")
                  if keyword == "FROM"]  # fmt: skip

        assert "build" not in nginx, path
        assert nginx["image"].startswith("nginx:"), path
        assert "static:/srv/static:ro" in nginx["volumes"], path
        assert "./nginx:/etc/nginx/conf.d:ro" in nginx["volumes"], path
        assert "alias /srv/static/;" in site
        assert static["command"][:3] == ["python", "manage.py", "collectstatic"], path
        assert static["environment"]["DJANGO_STATIC_ROOT"] == "/srv/static", path
        assert static["volumes"] == ["static:/srv/static"], path
        assert static["restart"] == "no", path
        assert static["healthcheck"] == {"disable": True}, path
        assert "static" in yaml.safe_load(path.read_text())["volumes"], path
        for name, service in services.items():
            if name.startswith("web"):
                assert service["depends_on"]["static"] == {
                    "condition": "service_completed_successfully"
                }, (path, name)
        # The app's own image, and no image of nginx's to build.
        assert not any(" AS nginx" in stage for stage in stages), stages
        assert (
            "mkdir -p /srv/static && chown app /srv/static"
            in (path.parent / "Dockerfile").read_text()
        )


def test_signups_queue_their_email_for_a_worker_the_deploy_restarts_last(valid_projects):
    """With signup, the apps queue activation emails (MOA_SIGNUP_DELIVERY); `worker` sends them."""
    for combo in valid_combinations():
        path = valid_projects[combo_id(combo)]
        services = yaml.safe_load((path / "compose.yaml").read_text())["services"]
        apps = [service for name, service in services.items() if name.startswith("web")]
        restart = path / "deploy" / "rolling-restart.sh"
        if combo["use_signup"] == "yes":
            worker = services["worker"]
            assert worker["command"] == ["python", "manage.py", "db_worker"], path
            assert worker["environment"]["MOA_SIGNUP_DELIVERY"] == "task", path
            assert all(app["environment"]["MOA_SIGNUP_DELIVERY"] == "task" for app in apps)
            assert "ports" not in worker
            if restart.exists():
                text = restart.read_text()
                assert text.index("docker compose up --detach --no-deps worker") > text.index(
                    "\ndone\n"
                ), restart
        else:
            assert "worker" not in services, path
            assert not any("MOA_SIGNUP_DELIVERY" in app["environment"] for app in apps)


def test_rolling_restart_fills_the_static_volume_first_and_never_replaces_nginx(valid_projects):
    """nginx -t, then the new static files, then migrations, before any instance stops."""
    scripts = distinct(valid_projects, "deploy/rolling-restart.sh")
    assert scripts
    for path in scripts.values():
        text = path.read_text()
        order = [
            text.index("docker compose build web1\n"),
            text.index("docker compose exec -T nginx nginx -t\n"),
            text.index("docker compose run --rm static\n"),
            text.index("docker compose run --rm migrate\n"),
            text.index("manage.py drain\n"),
        ]

        assert order == sorted(order)
        assert not re.search(r"docker compose (up|create|restart)[^\n]*\bnginx\b", text)


def test_instances_behind_a_load_balancer_share_one_database_and_redis(valid_projects):
    """aws-alb runs the app and nginx per instance; the database and Redis are shared.

    compose's ``environment:`` wins over ``env_file``: a URL set there would give every
    instance its own database and Redis, whatever .env says.
    """
    for combo in valid_combinations():
        path = valid_projects[combo_id(combo)]
        services = yaml.safe_load((path / "compose.yaml").read_text())["services"]
        env_example = dotenv(path / ".env.example")
        apps = {name: s for name, s in services.items() if name.startswith("web")}
        apps["migrate"] = services["migrate"]
        apps["static"] = services["static"]
        if "worker" in services:
            apps["worker"] = services["worker"]
        if combo["deploy_target"] == "aws-alb":
            expected = {"migrate", "static", "web1", "web2", "nginx"} | (
                {"worker"} if combo["use_signup"] == "yes" else set()
            )
            assert set(services) == expected, path
            for service in apps.values():
                assert service["env_file"] == ".env"
                assert not {"DATABASE_URL", "REDIS_URL"} & set(service["environment"]), path
                assert not set(service.get("depends_on") or {}) - {"migrate", "static"}, path
            for name in ("DATABASE_URL", "REDIS_URL"):
                host = urlsplit(env_example[name]).hostname
                assert host not in ("db", "redis", "localhost", "127.0.0.1"), (path, name)
            assert "POSTGRES_PASSWORD" not in env_example
        else:
            # One host: its own PostgreSQL (the compose service db) or SQLite file.
            url_part = {"postgresql": "@db:5432/", "sqlite": "sqlite:///"}[combo["database"]]
            for service in apps.values():
                assert url_part in service["environment"]["DATABASE_URL"], path
            assert ("redis" in services) == (combo["channel_layer"] == "redis")


# GitHub Actions ------------------------------------------------------------


def test_workflows_match_the_github_schema(valid_projects):
    """check-jsonschema's built-in GitHub workflow schema accepts every workflow."""
    files = distinct(valid_projects, ".github/workflows/*.yml")

    result = run(BIN / "check-jsonschema", "--builtin-schema", "vendor.github-workflows", *files)

    assert len(files) >= 2
    assert result.returncode == 0, result.stdout + result.stderr


def test_generated_ci_tests_every_supported_python(valid_projects):
    """The test job runs on 3.12 (the image's Python) and 3.13, each with its own job."""
    for path in distinct(valid_projects, ".github/workflows/ci.yml").values():
        test_job = yaml.safe_load(path.read_text())["jobs"]["test"]
        [setup] = [step for step in test_job["steps"] if "setup-python" in step.get("uses", "")]

        assert test_job["strategy"]["matrix"]["python-version"] == ["3.12", "3.13"]
        assert setup["with"]["python-version"] == "${{ matrix.python-version }}"
        assert test_job["strategy"]["fail-fast"] is False


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
    """Drain, stop, start, wait healthy, reload nginx, re-enable: in that order."""
    scripts = distinct(valid_projects, "deploy/rolling-restart.sh")
    assert scripts
    for path in scripts.values():
        text = path.read_text()
        order = [
            text.index("manage.py drain\n"),
            text.index('docker compose stop "$service"'),
            text.index('docker compose up --detach --no-deps "$service"'),
            text.index('wait_healthy "$service"'),
            text.index("docker compose exec -T nginx nginx -s reload"),
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


def test_nginx_sites_pass_nginx_t(valid_projects, nginx, certificate, tmp_path):
    """Real nginx accepts every variant of the site (nginx -t, nothing listens)."""
    sites = distinct(valid_projects, "nginx/site.conf")
    for index, site in enumerate(sites.values()):
        prefix = tmp_path / f"site{index}"
        (prefix / "tmp").mkdir(parents=True)
        (prefix / "site.conf").write_text(local_site(site.read_text(), nginx, certificate))
        (prefix / "nginx.conf").write_text(main_conf(prefix))

        result = check_config(nginx, prefix)

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


# The deploy workflow deploys what CI tested --------------------------------


def deploy_workflows(projects: dict[str, Path]) -> dict[str, dict[Any, Any]]:
    workflows = distinct(projects, ".github/workflows/deploy.yml")
    assert workflows
    return {name: yaml.safe_load(path.read_text()) for name, path in workflows.items()}


def test_deploy_runs_only_for_pushes_to_this_repositorys_main(valid_projects):
    """A fork's `main` or a pull request's CI run never deploys; a push CI passed does."""
    for name, workflow in deploy_workflows(valid_projects).items():
        job = workflow["jobs"]["deploy"]
        condition = " ".join(job["if"].split())

        # PyYAML reads the key `on` as True.
        assert workflow[True]["workflow_run"]["branches"] == ["main"], name
        for clause in (
            "github.event.workflow_run.conclusion == 'success'",
            "github.event.workflow_run.event == 'push'",
            "github.event.workflow_run.head_branch == 'main'",
            "github.event.workflow_run.head_repository.full_name == github.repository",
            "github.event_name == 'workflow_dispatch' && github.ref == 'refs/heads/main'",
        ):
            assert clause in condition, (name, clause)


def test_deploy_checks_out_and_deploys_the_tested_commit(valid_projects):
    """The runner checks out workflow_run.head_sha and hands it to the hosts as DEPLOY_SHA."""
    for name, workflow in deploy_workflows(valid_projects).items():
        job = workflow["jobs"]["deploy"]
        [checkout] = [
            step for step in job["steps"] if step.get("uses", "").startswith("actions/checkout")
        ]

        assert job["env"]["DEPLOY_SHA"] == (
            "${{ github.event.workflow_run.head_sha || github.sha }}"
        ), name
        assert checkout["with"]["ref"] == "${{ env.DEPLOY_SHA }}", name


def test_deploy_keeps_secrets_out_of_scripts_and_pins_host_keys(valid_projects):
    """Secrets reach steps as environment variables; ssh refuses unknown host keys."""
    for name, workflow in deploy_workflows(valid_projects).items():
        steps = workflow["jobs"]["deploy"]["steps"]
        [ssh_setup] = [step for step in steps if "DEPLOY_SSH_KEY" in str(step)]

        for step in steps:
            assert "secrets." not in step.get("run", ""), (name, step.get("name"))
        assert ssh_setup["env"]["DEPLOY_KNOWN_HOSTS"] == "${{ secrets.DEPLOY_KNOWN_HOSTS }}"
        assert "~/.ssh/known_hosts" in ssh_setup["run"]
    for path in distinct(valid_projects, "deploy/alb-rolling-update.sh").values():
        text = path.read_text()
        assert "StrictHostKeyChecking=yes" in text
        assert "accept-new" not in text


STUB_SSH = """#!/usr/bin/env bash
# ssh [options] user@host command: run the command here.
exec bash -c "${@: -1}"
"""
STUB_AWS = """#!/usr/bin/env bash
# describe-instances answers a host address; every wait and (de)registration succeeds.
[ "$2" = describe-instances ] && echo 127.0.0.1
exit 0
"""
STUB_DOCKER = """#!/usr/bin/env bash
# compose config --services lists one app instance; up and exec succeed.
[ "$3" = --services ] && echo web1
exit 0
"""


def git(*args: str | Path) -> str:
    result = run("git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args)
    return result.stdout.strip() if result.returncode == 0 else pytest.fail(result.stderr)


def test_rolling_update_checks_out_exactly_deploy_sha(valid_projects, tmp_path):
    """A host ends on DEPLOY_SHA, detached, although main has moved past it.

    The script runs against stand-ins for aws, ssh (runs the command here) and
    docker, with a local git remote whose main is one commit ahead.
    """
    [script] = distinct(valid_projects, "deploy/alb-rolling-update.sh").values()
    origin, checkout, stubs = tmp_path / "origin", tmp_path / "app", tmp_path / "bin"
    stubs.mkdir()
    for name, text in {"ssh": STUB_SSH, "aws": STUB_AWS, "docker": STUB_DOCKER}.items():
        (stubs / name).write_text(text)
        (stubs / name).chmod(0o755)
    run("git", "init", "-q", "-b", "main", origin)
    git("-C", origin, "commit", "-q", "--allow-empty", "-m", "tested")
    tested = git("-C", origin, "rev-parse", "HEAD")
    run("git", "clone", "-q", origin, checkout)
    git("-C", origin, "commit", "-q", "--allow-empty", "-m", "not tested yet")
    env = {
        "PATH": f"{stubs}:{os.environ['PATH']}",
        "HOME": str(tmp_path),
        "TARGET_GROUP_ARN": "arn:aws:elasticloadbalancing:eu-west-1:1:targetgroup/t/1",
        "INSTANCE_IDS": "i-1",
        "DEPLOY_USER": "deploy",
        "APP_DIR": str(checkout),
        "CHECK_INTERVAL_S": "0",
    }

    deployed = subprocess.run(
        ["bash", script], env={**env, "DEPLOY_SHA": tested},
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    refused = subprocess.run(
        ["bash", script], env={**env, "DEPLOY_SHA": "main; touch pwned"},
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip

    assert deployed.returncode == 0, deployed.stderr
    assert git("-C", checkout, "rev-parse", "HEAD") == tested
    assert git("-C", checkout, "branch", "--show-current") == ""
    assert refused.returncode == 2
    assert "DEPLOY_SHA must be a full 40-character commit id" in refused.stderr
