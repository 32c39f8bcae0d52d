"""Issue 14 item 11: the generated deploy/backup.sh and deploy/restore.sh on the running stack.

The scripts run as written, through the docker shim (e2e_harness/compose_shim.py): each
``docker compose exec -T db ...`` runs pg_dump, pg_restore or psql against the stack's
PostgreSQL, the app instances web1 and web2 are stopped and started as the shim's services,
and ``docker compose run --rm migrate`` migrates with the project's manage.py.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from e2e_harness.stack import SERVICES, SLUG, Stack

DUMP_NAME = re.compile(rf"{SLUG}-\d{{8}}T\d{{6}}Z\.dump")


@pytest.fixture
def shim(stack: Stack) -> Iterator[Stack]:
    """The stack with a fresh compose state and event log; the test's users deleted after."""
    stack.write_compose_state()
    stack.events_file.write_text("")
    yield stack
    stack.write_compose_state()
    psql(stack, "DELETE FROM moa_accounts_user WHERE username LIKE 'backup-%'")


def run_script(
    stack: Stack, name: str, *args: str | Path, **env: str
) -> subprocess.CompletedProcess[str]:
    """Run deploy/``name`` in the checkout, ``docker`` being the shim; stdin is no terminal."""
    return subprocess.run(
        ["bash", stack.project / "deploy" / name, *args], env={**stack.shim_env(), **env},
        cwd=stack.project,
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


def psql(stack: Stack, sql: str, database: str | None = None) -> list[list[str]]:
    """Run ``sql`` on the stack's database (or ``database`` of its cluster); the rows."""
    env = stack.db_env()
    result = subprocess.run(
        ["psql", "--no-psqlrc", "--quiet", "--tuples-only", "--no-align",
         "--set", "ON_ERROR_STOP=1", "--username", env["POSTGRES_USER"],
         "--dbname", database or env["POSTGRES_DB"], "--command", sql],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return [line.split("|") for line in result.stdout.splitlines() if line]


def users(stack: Stack, database: str | None = None) -> dict[str, str]:
    """The email of each user the tests of this module made, by username."""
    sql = "SELECT username, email FROM moa_accounts_user WHERE username LIKE 'backup-%'"
    return dict(psql(stack, sql, database))


def create_user(stack: Stack, username: str) -> None:
    stack.manage(
        "shell", "-c",
        "from django.contrib.auth import get_user_model; "
        f"get_user_model().objects.create_user({username!r}, '{username}@moa-e2e.test', "
        "'e2e-password-1234')",
    )  # fmt: skip


def databases(stack: Stack) -> set[str]:
    return {row[0] for row in psql(stack, "SELECT datname FROM pg_database")}


def steps(stack: Stack) -> list[tuple[str, str]]:
    """The shim's events of the run: (event, service)."""
    lines = stack.events_file.read_text().splitlines()
    return [(event["event"], event["service"]) for event in map(json.loads, lines)]


def set_db_path(stack: Stack, bin_dir: Path) -> None:
    """Put ``bin_dir`` first on the PATH of the shim's ``db`` service."""
    state = json.loads(stack.state_file.read_text())
    state["db"]["env"]["PATH"] = f"{bin_dir}:{state['db']['env']['PATH']}"
    stack.state_file.write_text(json.dumps(state, indent=2))


def test_a_restore_brings_back_the_rows_of_its_backup_and_restarts_the_app(shim: Stack) -> None:
    """backup.sh, changes, restore.sh: the rows are the backup's, migrated, the app serves.

    The dump is restored into a database of its own while the app runs; only then do the
    instances stop, the databases swap, migrate runs and the instances start. The database
    as it was before the restore is kept beside it.
    """
    stack = shim
    create_user(stack, "backup-before")

    backup = run_script(stack, "backup.sh")
    assert backup.returncode == 0, backup.stderr
    dump = stack.project / backup.stdout.strip()
    psql(stack, "UPDATE moa_accounts_user SET email = 'changed@moa-e2e.test' "
                "WHERE username = 'backup-before'")  # fmt: skip
    create_user(stack, "backup-after")
    pids = {name: stack.service_pid(name) for name in SERVICES}
    restore = run_script(stack, "restore.sh", "--yes", dump.relative_to(stack.project))
    for name in SERVICES:
        stack.wait_ready(stack.instances[name])

    assert dump.parent == stack.project / "backups"
    assert DUMP_NAME.fullmatch(dump.name), dump.name
    assert dump.stat().st_mode & 0o777 == 0o600
    assert restore.returncode == 0, restore.stdout + restore.stderr
    assert users(stack) == {"backup-before": "backup-before@moa-e2e.test"}
    previous = f"{stack.db_env()['POSTGRES_DB']}_previous"
    assert users(stack, previous) == {
        "backup-before": "changed@moa-e2e.test",
        "backup-after": "backup-after@moa-e2e.test",
    }
    assert all(stack.service_pid(name) != pid for name, pid in pids.items()), pids
    order = steps(stack)
    restored = next(i for i, (event, _) in enumerate(order) if "pg_restore" in event)
    assert restored < order.index(("stopping", SERVICES[0])), order
    assert order.index(("stopped", SERVICES[-1])) < order.index(
        ("run manage.py migrate --noinput", "migrate")
    ) < order.index(("started", SERVICES[0])), order  # fmt: skip
    assert ("reload", "nginx") in order[order.index(("started", SERVICES[-1])) :], order


@pytest.mark.parametrize("status", [1, 0], ids=["pg_dump fails", "pg_dump ends early"])
def test_a_failed_dump_leaves_no_backup_and_deletes_none(
    shim: Stack, tmp_path: Path, status: int
) -> None:
    """A dump that fails, or stops halfway and exits 0, fails the backup: no file, none pruned."""
    stack = shim
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    real = stack.postgres.bin_dir / "pg_dump"
    (bin_dir / "pg_dump").write_text(
        "#!/bin/sh\n"
        f'"{real}" "$@" >"{tmp_path}/whole" || exit 99\n'
        f'head -c $(($(wc -c <"{tmp_path}/whole") / 2)) "{tmp_path}/whole"\n'
        f"exit {status}\n"
    )
    (bin_dir / "pg_dump").chmod(0o755)
    set_db_path(stack, bin_dir)
    backups = tmp_path / "backups"
    backups.mkdir()
    older = backups / f"{SLUG}-20240101T023000Z.dump"
    older.write_bytes(b"an earlier backup")

    result = run_script(stack, "backup.sh", BACKUP_DIR=str(backups), BACKUP_KEEP="1")

    assert result.returncode != 0, result.stdout
    assert result.returncode != 99, result.stderr
    assert (tmp_path / "whole").stat().st_size > 0
    assert sorted(path.name for path in backups.iterdir()) == [older.name]


def test_restoring_a_damaged_dump_fails_before_the_app_stops_and_changes_nothing(
    shim: Stack, tmp_path: Path
) -> None:
    """A dump cut in half: restore.sh exits non-zero, the app never stopped, no row changed."""
    stack = shim
    backup = run_script(stack, "backup.sh", BACKUP_DIR=str(tmp_path))
    assert backup.returncode == 0, backup.stderr
    whole = Path(backup.stdout.strip()).read_bytes()
    damaged = tmp_path / "damaged.dump"
    damaged.write_bytes(whole[: len(whole) // 2])
    create_user(stack, "backup-kept")
    pids = {name: stack.service_pid(name) for name in SERVICES}
    before = databases(stack)
    stack.events_file.write_text("")

    restore = run_script(stack, "restore.sh", "--yes", damaged)

    assert restore.returncode != 0, restore.stdout
    assert users(stack) == {"backup-kept": "backup-kept@moa-e2e.test"}
    assert {name: stack.service_pid(name) for name in SERVICES} == pids
    assert not any(event in ("stopping", "stopped") for event, _ in steps(stack))
    assert databases(stack) == before


def test_a_backup_keeps_the_newest_dumps_and_nothing_else_is_deleted(
    shim: Stack, tmp_path: Path
) -> None:
    """BACKUP_KEEP=2: the new dump and the newest earlier one stay; other files are kept."""
    stack = shim
    backups = tmp_path / "backups"
    backups.mkdir()
    earlier = [f"{SLUG}-2024010{day}T023000Z.dump" for day in (1, 2, 3)]
    others = ["notes.txt", f"{SLUG}-before-upgrade.dump", f"other-{SLUG}-20240101T023000Z.dump"]
    for name in earlier + others:
        (backups / name).write_bytes(b"x")

    result = run_script(stack, "backup.sh", BACKUP_DIR=str(backups), BACKUP_KEEP="2")

    assert result.returncode == 0, result.stderr
    new = Path(result.stdout.strip())
    assert new.parent == backups
    assert DUMP_NAME.fullmatch(new.name), new.name
    assert sorted(path.name for path in backups.iterdir()) == sorted(
        [earlier[-1], new.name, *others]
    )
