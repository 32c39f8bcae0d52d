"""The backup and restore scripts of single-host PostgreSQL projects, and their schedule.

tests/e2e/test_backups.py runs them against a real PostgreSQL; these tests check what
every combination renders and what the scripts do before they reach the database.
"""

from __future__ import annotations

import configparser
import os
import pty
import re
import subprocess
from pathlib import Path

import pytest
import yaml
from baking import SLUG, bake, combo_id, valid_combinations

BACKUP_FILES = [
    "deploy/backup.sh",
    "deploy/restore.sh",
    "deploy/cron/backup",
    f"deploy/systemd/{SLUG}-backup.service",
    f"deploy/systemd/{SLUG}-backup.timer",
]
SINGLE_HOST = {"deploy_target": "single-host", "database": "postgresql"}
# Logs each call on one line (its arguments' newlines as spaces), and succeeds.
STUB_DOCKER = """#!/usr/bin/env bash
args="$*"
echo "${args//$'\\n'/ }" >>"$DOCKER_LOG"
# Read what the script pipes in, as psql and pg_restore would: a writer whose reader
# exits unread gets SIGPIPE (exit 141 under pipefail).
[ -t 0 ] || cat >/dev/null
exit 0
"""


def has_backups(combo: dict[str, str]) -> bool:
    return combo["deploy_target"] == "single-host" and combo["database"] == "postgresql"


def unit_file(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(path.read_text())
    return parser


def run_with_stub_docker(
    project: Path, tmp_path: Path, *args: str, stdin: int | None = subprocess.DEVNULL
) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """Run ``args`` in ``project`` with a docker that only logs; the result and its calls."""
    stubs = tmp_path / "bin"
    stubs.mkdir(exist_ok=True)
    (stubs / "docker").write_text(STUB_DOCKER)
    (stubs / "docker").chmod(0o755)
    log = tmp_path / "docker.log"
    log.write_text("")
    env = {**os.environ, "PATH": f"{stubs}:{os.environ['PATH']}", "DOCKER_LOG": str(log)}
    result = subprocess.run(
        ["bash", *args], cwd=project, env=env, stdin=stdin,
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    return result, log.read_text().splitlines()


def test_backup_scripts_come_with_single_host_postgresql_only(valid_projects):
    """The scripts dump the compose service `db`, which single-host with PostgreSQL runs.

    aws-alb's database is a managed service (its provider backs it up), SQLite has none,
    and deploy_target=none comes without deploy scripts. The cleanup schedule beside
    them still follows signup. The README's "Backups" section comes with the scripts.
    """
    for combo in valid_combinations():
        project = valid_projects[combo_id(combo)]
        services = yaml.safe_load((project / "compose.yaml").read_text())["services"]
        present = [name for name in BACKUP_FILES if (project / name).exists()]
        cleanup = project / "deploy" / "cron" / "delete-unverified-users"
        readme = (project / "README.md").read_text()

        assert present == (BACKUP_FILES if has_backups(combo) else []), combo_id(combo)
        assert "db" in services or not has_backups(combo), combo_id(combo)
        assert cleanup.exists() == (combo["use_signup"] == "yes"), combo_id(combo)
        assert ("\n### Backups\n" in readme) == has_backups(combo), combo_id(combo)
        if has_backups(combo):
            assert "\ndeploy/backup.sh " in readme, combo_id(combo)
            assert f"\ndeploy/restore.sh backups/{SLUG}-" in readme, combo_id(combo)


def test_backups_are_kept_out_of_git_and_the_image(valid_projects, tmp_path):
    """git ignores backups/ (checked with git itself) and .dockerignore leaves it out."""
    for combo in valid_combinations():
        project = valid_projects[combo_id(combo)]
        dockerignore = (project / ".dockerignore").read_text().splitlines()
        gitignore = (project / ".gitignore").read_text()
        if not has_backups(combo):
            assert "backups" not in gitignore + "\n".join(dockerignore), combo_id(combo)
            continue
        checkout = tmp_path / combo_id(combo)
        checkout.mkdir()
        (checkout / ".gitignore").write_text(gitignore)
        subprocess.run(["git", "init", "-q", checkout], check=True, timeout=60)

        ignored = subprocess.run(
            ["git", "-C", checkout, "check-ignore", "-q", f"backups/{SLUG}-20250101T023000Z.dump"],
            timeout=60, check=False,
        )  # fmt: skip

        assert ignored.returncode == 0, combo_id(combo)
        assert "backups" in dockerignore, combo_id(combo)


def test_backup_schedule_runs_backup_sh_daily_from_cron_and_systemd(tmp_path):
    """cron and the systemd timer run deploy/backup.sh at one time, keeping as many dumps."""
    project = bake(tmp_path, **SINGLE_HOST)
    cron = project / "deploy" / "cron" / "backup"
    jobs = [
        line.split(None, 6)
        for line in cron.read_text().splitlines()
        if line.strip() and not line.startswith("#") and not re.match(r"[A-Z_]+=", line)
    ]
    variables = dict(
        line.split("=", 1) for line in cron.read_text().splitlines() if re.match(r"[A-Z_]+=", line)
    )
    units = project / "deploy" / "systemd"
    timer = unit_file(units / f"{SLUG}-backup.timer")
    service = unit_file(units / f"{SLUG}-backup.service")
    cleanup = unit_file(units / f"{SLUG}-delete-unverified-users.timer")

    [(minute, hour, day, month, weekday, user, command)] = jobs
    assert (day, month, weekday, user) == ("*", "*", "*", "root")
    assert command == 'cd "$APP_DIR" && deploy/backup.sh >/dev/null'
    assert variables["APP_DIR"] == service["Service"]["WorkingDirectory"] == f"/srv/{SLUG}"
    assert service["Service"]["ExecStart"] == f"/srv/{SLUG}/deploy/backup.sh"
    assert service["Service"]["Type"] == "oneshot"
    assert f"BACKUP_KEEP={variables['BACKUP_KEEP']}" == service["Service"]["Environment"]
    assert timer["Timer"]["OnCalendar"] == f"*-*-* {int(hour):02}:{int(minute):02}:00"
    assert timer["Timer"]["Persistent"] == "true"
    assert timer["Install"]["WantedBy"] == "timers.target"
    # Before the cleanup deletes accounts, so last night's dump still has them.
    assert timer["Timer"]["OnCalendar"] < cleanup["Timer"]["OnCalendar"]


def test_restore_stops_every_service_that_writes_to_the_database(tmp_path):
    """restore.sh stops and starts each long-running service of the app's image."""
    for use_signup in ("yes", "no"):
        project = bake(tmp_path / use_signup, **SINGLE_HOST, use_signup=use_signup)
        services = yaml.safe_load((project / "compose.yaml").read_text())["services"]
        writers = {
            name
            for name, service in services.items()
            if service.get("image") == f"{SLUG}-web" and service.get("restart") != "no"
        }
        [line] = re.findall(
            r"^APP_SERVICES=\((.*)\)$", (project / "deploy/restore.sh").read_text(), re.M
        )

        assert set(line.split()) == writers, use_signup
        assert ("worker" in writers) == (use_signup == "yes")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "usage: deploy/restore.sh [--yes] backups/<dump>.dump"),
        (["--yes"], "usage: deploy/restore.sh [--yes] backups/<dump>.dump"),
        (["--yes", "backups/missing.dump"], "No such dump: backups/missing.dump"),
        (["backups/kept.dump"], "Not restoring: run it in a terminal to confirm, or pass --yes."),
    ],
    ids=["no dump", "only --yes", "missing dump", "no terminal"],
)
def test_restore_refuses_before_touching_docker(args, message, tmp_path):
    """Without a dump that exists, and without a terminal to confirm or --yes: exit 2."""
    project = bake(tmp_path, **SINGLE_HOST)
    (project / "backups").mkdir()
    (project / "backups" / "kept.dump").write_bytes(b"dump")

    result, calls = run_with_stub_docker(project, tmp_path, "deploy/restore.sh", *args)

    assert result.returncode == 2
    assert message in result.stderr
    assert calls == []


def test_restore_asks_in_a_terminal_and_replaces_the_database_only_after_yes(tmp_path):
    """'no' at the prompt exits 1 untouched; 'yes' restores beside, then stops and swaps.

    The order with a docker that succeeds at everything: the dump goes into a database of
    its own, the app stops, the databases swap, migrate, the app starts, nginx reloads.
    """
    project = bake(tmp_path, **SINGLE_HOST)
    (project / "backups").mkdir()
    (project / "backups" / "kept.dump").write_bytes(b"dump")
    runs = {}
    for answer in ("no", "yes"):
        primary, secondary = pty.openpty()
        os.write(primary, f"{answer}\n".encode())
        try:
            runs[answer] = run_with_stub_docker(
                project, tmp_path, "deploy/restore.sh", "backups/kept.dump", stdin=secondary
            )
        finally:
            os.close(primary)
            os.close(secondary)

    refused, refused_calls = runs["no"]
    restored, calls = runs["yes"]
    assert refused.returncode == 1
    assert "Not restored." in refused.stderr
    assert refused_calls == []
    assert restored.returncode == 0, restored.stderr
    steps = [
        "compose exec -T db sh -c exec psql",
        "compose exec -T db sh -c exec pg_restore",
        "compose stop web1 web2 worker",
        "compose exec -T db sh -c exec psql",
        "compose run --rm migrate",
        "compose up --detach --wait --no-deps web1 web2 worker",
        "compose exec -T nginx nginx -s reload",
        "compose exec -T db sh -c exec psql",
    ]
    assert len(calls) == len(steps), calls
    assert all(call.startswith(step) for call, step in zip(calls, steps, strict=True)), calls


def test_backup_refuses_to_keep_no_dump(tmp_path):
    """BACKUP_KEEP must be 1 or more: 0 would delete the dump just made."""
    project = bake(tmp_path, **SINGLE_HOST)

    result, calls = run_with_stub_docker(project, tmp_path, "-c", "BACKUP_KEEP=0 deploy/backup.sh")

    assert result.returncode == 2
    assert "BACKUP_KEEP must be a whole number of dumps, 1 or more (got '0')." in result.stderr
    assert calls == []
