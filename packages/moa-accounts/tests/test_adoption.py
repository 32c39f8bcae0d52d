"""Adopting moa-accounts in a project that has already migrated, as its operator would.

Each journey builds a real project database in subprocesses (``migrate`` and
data on the old user model), switches the settings, adopts, and compares
everything the old project had with what the adopted one has.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from itertools import count
from pathlib import Path
from typing import Any

import dj_database_url
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.test import override_settings

from moa_accounts import checks
from moa_testsupport.databases import database_vendor
from moa_testsupport.settings import overlay_settings, sqlite_databases

PACKAGE_DIR = Path(__file__).resolve().parent.parent
DATABASE_NUMBERS = count()

skip_on_mariadb = pytest.mark.skipif(
    database_vendor() == "mysql",
    reason="adopt_auth_user refuses MariaDB (see test_adopt_refuses_mariadb)",
)


def execute_on_server(statement: str) -> None:
    """Run one statement on the test database server, outside any transaction."""
    server = os.environ["MOA_TEST_DB"]
    if database_vendor() == "postgresql":
        import psycopg

        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(statement)
        return
    import dj_database_url
    import MySQLdb

    config = dj_database_url.parse(server)
    admin = MySQLdb.connect(
        host=config["HOST"],
        port=int(config["PORT"] or 3306),
        user=config["USER"],
        password=config["PASSWORD"] or "",
    )
    try:
        admin.cursor().execute(statement)
    finally:
        admin.close()


@pytest.fixture
def new_database(tmp_path: Path) -> Iterator[Callable[[], str]]:
    """Make empty databases: SQLite files, or databases on the server, dropped afterwards."""
    vendor = database_vendor()
    created: list[str] = []

    def create() -> str:
        name = f"moa_accounts_adoption_{os.getpid()}_{next(DATABASE_NUMBERS)}"
        if vendor == "sqlite":
            return str(tmp_path / f"{name}.sqlite3")
        if vendor == "postgresql":
            execute_on_server(f'CREATE DATABASE "{name}"')
        else:
            execute_on_server(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
        created.append(name)
        return os.environ["MOA_TEST_DB"].rsplit("/", 1)[0] + "/" + name

    yield create
    for name in created:
        if vendor == "postgresql":
            execute_on_server(f'DROP DATABASE "{name}" WITH (FORCE)')
        else:
            execute_on_server(f"DROP DATABASE `{name}`")


@pytest.fixture
def project_database(new_database: Callable[[], str]) -> str:
    return new_database()


def measured() -> list[str]:
    """Options that make a subprocess add to this run's coverage data, if it is measured."""
    try:
        import coverage
    except ImportError:  # pragma: no cover - the package's test group installs it
        return []
    current = coverage.Coverage.current()
    if current is None:
        return []
    config = current.config
    sources = [f"--source={source}" for source in config.source or []]
    return [
        "-m",
        "coverage",
        "run",
        f"--rcfile={config.config_file}",
        f"--data-file={config.data_file}",
        *sources,
    ]


STAGE_SETTINGS = {
    "auth": "tests.adoption.settings",
    "moa": "tests.adoption.settings_moa",
    "own": "tests.adoption.settings_own",
}


def project_databases(database: str) -> dict[str, dict[str, Any]]:
    """``DATABASES`` for a database URL, or the path of an SQLite file."""
    if "://" not in database:
        return sqlite_databases(Path(database))
    config: dict[str, Any] = dict(dj_database_url.parse(database))
    if config["ENGINE"] == "django.db.backends.mysql":
        config["OPTIONS"] = {"charset": "utf8mb4"}
    return {"default": config}


class Project:
    """Run the project's commands and steps in a fresh process, at one stage.

    Each stage has its settings module (``STAGE_SETTINGS``); an overlay of it in
    ``directory`` points it at ``database``.
    """

    def __init__(self, database: str, directory: Path, extra_path: Path | None = None) -> None:
        self.databases = project_databases(database)
        self.directory = directory
        self.extra_path = extra_path

    def run(self, stage: str, *args: str) -> subprocess.CompletedProcess[str]:
        overlay = overlay_settings(
            self.directory / stage,
            STAGE_SETTINGS[stage],
            pythonpath=PACKAGE_DIR,
            DATABASES=self.databases,
        )
        if self.extra_path is not None:
            overlay["PYTHONPATH"] += os.pathsep + str(self.extra_path)
        # Before adoption moa_accounts is not installed: nothing to measure.
        coverage = measured() if stage != "auth" else []
        return subprocess.run(
            [sys.executable, *coverage, *args],
            cwd=PACKAGE_DIR,
            env={**os.environ, **overlay, "PYTHONWARNINGS": "error"},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def manage(self, stage: str, *args: str) -> subprocess.CompletedProcess[str]:
        return self.run(stage, "-m", "django", *args)

    def step(self, stage: str, name: str) -> Any:
        result = self.run(stage, "-m", "tests.adoption.project", name)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout.splitlines()[-1])


def renamed_permissions(facts: dict[str, Any]) -> dict[str, Any]:
    """The facts as moa_accounts.User has them: user permissions carry its app label."""
    for user in facts["users"]:
        user["permissions"] = sorted(
            p.replace("auth.", "moa_accounts.", 1) if p.endswith("_user") else p
            for p in user["permissions"]
        )
    return facts


@skip_on_mariadb
def test_adopting_auth_user_keeps_every_row_and_reference(
    new_database: Callable[[], str], tmp_path: Path
) -> None:
    """A project on auth.User adopts moa_accounts.User with adopt_auth_user.

    The README's ``migrate`` is stopped by moa_accounts.E004; the command
    refuses shared emails and changes nothing, a dry run and a run that fails
    at its last step change nothing; the real run keeps ids, password hashes,
    groups, permissions, sessions, the admin log and foreign keys, and leaves
    migrations clean, with the schema a new project gets; soft delete and
    signing up again then work.
    """
    project = Project(new_database(), tmp_path / "project")
    original = project.step("auth", "populate")
    assert len(original["users"]) == 5
    assert original["shared"] == ["", "alice@example.com"]
    assert sorted(original["logged_in"].values()) == [1, 2]

    migrate = project.manage("moa", "migrate")
    assert migrate.returncode == 1
    assert "(moa_accounts.E004) Database 'default' still has auth.User's table" in migrate.stderr
    assert "HINT: Run 'manage.py adopt_auth_user' before 'migrate'." in migrate.stderr

    refused = project.manage("moa", "adopt_auth_user")
    assert refused.returncode == 1
    assert refused.stderr.splitlines()[1:4] == [
        "  '': 'erin' (id 5), 'carol' (id 6)",
        "  'alice@example.com': 'alice' (id 1), 'dave' (id 4)",
        "Give these users distinct addresses, then adopt. Nothing was changed.",
    ]

    before = project.step("auth", "fix_emails")
    rehearsal = project.step("moa", "rehearse")
    assert rehearsal["dry_run"].splitlines() == [
        "Would adopt 5 users as moa_accounts.User, with 1 group memberships and "
        "1 user permissions.",
        "  kept references from admin.LogEntry.user",
        "  kept references from library.Book.owner",
        "  kept references from library.Club.members",
        "3 adopted users have no verified email and never logged in: "
        "delete_unverified_users deletes such users.",
        "  Adopt with --mark-emails-verified to keep them, or set email_verified_at.",
        "Dry run: rolled back, nothing changed.",
    ]
    assert rehearsal["raced"].startswith(
        "CommandError: Adoption was rolled back, nothing changed: "
    )
    assert rehearsal["raced"].endswith(
        "Another process may have written users meanwhile; run it again."
    )
    assert rehearsal["failed"] == "RuntimeError: the disk is full"
    assert rehearsal["tables"] == ["auth_user", "auth_user_groups", "auth_user_user_permissions"]
    assert rehearsal["content_types"] == ["auth"]
    assert ["moa_accounts", "0001_initial"] not in rehearsal["recorded"]
    assert project.step("auth", "facts") == before

    adopt = project.manage("moa", "adopt_auth_user", "--mark-emails-verified")
    assert adopt.returncode == 0, adopt.stderr
    assert adopt.stdout.splitlines() == [
        "Adopted 5 users as moa_accounts.User, with 1 group memberships and 1 user permissions.",
        "  kept references from admin.LogEntry.user",
        "  kept references from library.Book.owner",
        "  kept references from library.Club.members",
        "Marked the email of every adopted user as verified.",
        "Recorded migration moa_accounts.0001_initial as applied. Run 'manage.py migrate' next.",
    ]

    after = project.step("moa", "adopted")
    assert after["facts"] == renamed_permissions(before)
    assert after["facts"]["users"][1]["permissions"] == [
        "library.add_book",
        "moa_accounts.view_user",
    ]
    assert after["facts"]["log"] == [{"about_a_user": True, "id": 1, "object": 2, "user": 1}]
    assert after["migrate"].startswith("Operations to perform:"), after["migrate"]
    assert "Applying moa_accounts.0002_user_active_before_deletion... OK" in after["migrate"]
    assert after["restored_banned_active"] is False
    assert "Applying moa_accounts.0003_user_username_key... OK" in after["migrate"]
    assert after["alice_lookalike"] == {
        "username": ["A user with a username that looks the same already exists."]
    }
    assert after["migrate_check"] == ""
    assert after["makemigrations_check"] == "No changes detected\n"
    assert after["verified"] == 5
    assert after["adopt_again"] == "Nothing to adopt: database 'default' has no auth_user table.\n"
    assert after["new_user_id"] == 8  # after the highest id ever used (7: the racer)
    assert after["erin_again"] == [9, 2]
    assert after["alice_twice"] == ["username"]
    assert after["admin"] == [200, 200]

    fresh = Project(new_database(), tmp_path / "fresh")
    assert fresh.manage("moa", "migrate").returncode == 0
    assert project.step("moa", "schema") == fresh.step("moa", "schema")


OWN_USER_BEFORE = """
from django.contrib.auth.models import AbstractUser
from django.db import models


class Member(AbstractUser):
    nickname = models.CharField(max_length=30, blank=True)
"""

OWN_USER_AFTER = """
from django.db import models

from moa_accounts.models import AbstractSoftDeleteUser


class Member(AbstractSoftDeleteUser):
    nickname = models.CharField(max_length=30, blank=True)
"""

OWN_USER_ADMIN = """
from django.contrib import admin

from moa_accounts.admin import SoftDeleteUserAdmin

from members.models import Member

admin.site.register(Member, SoftDeleteUserAdmin)
"""


def test_own_user_model_adopts_the_soft_delete_base(project_database: str, tmp_path: Path) -> None:
    """A project's AbstractUser subclass moves to AbstractSoftDeleteUser with migrate.

    Shared emails make the generated migration fail as a whole (on MariaDB,
    where a migration is not atomic, they are fixed first); once they are
    distinct it applies, and every row, id, password, group and foreign key is
    kept, the live-uniqueness constraints hold, migrations are clean.
    """
    members = tmp_path / "apps" / "members"
    (members / "migrations").mkdir(parents=True)
    (members / "__init__.py").write_text("")
    (members / "migrations" / "__init__.py").write_text("")
    (members / "models.py").write_text(OWN_USER_BEFORE)
    project = Project(project_database, tmp_path / "project", extra_path=tmp_path / "apps")
    original = project.step("own", "own_start")

    (members / "models.py").write_text(OWN_USER_AFTER)
    (members / "admin.py").write_text(OWN_USER_ADMIN)
    upgrade = project.step("own", "own_upgrade")
    operations = re.findall(r"^    ([~+-] .*)$", upgrade["makemigrations"], re.MULTILINE)
    # What moving to AbstractSoftDeleteUser takes (a later field of it adds a line).
    expected = [
        "+ Add field active_before_deletion to member",
        "+ Add field deleted_at to member",
        "+ Add field email_verified_at to member",
        "+ Add field username_key to member",
        "~ Alter field email on member",
        "~ Alter field username on member",
        "+ Create constraint members_member_live_username on model member",
        "+ Create constraint members_member_live_email on model member",
        "+ Create constraint members_member_live_username_key on model member",
    ]
    assert [operation for operation in operations if operation in expected] == expected
    assert "~ Change managers on member" in operations
    if database_vendor() == "mysql":
        assert upgrade["blocked"] is None
    else:
        assert "Applying members.0002" in upgrade["blocked"]
        assert "IntegrityError" in upgrade["blocked"]
        assert "members_member_live_email" in upgrade["blocked"]
    assert "Applying members.0002" in upgrade["migrate"]

    after = project.step("own", "adopted")
    for user in original["users"]:
        if user["username"] in ("dave", "erin"):
            user["email"] = f"{user['username']}@example.com"
    original.pop("shared")
    assert after["facts"] == original
    assert after["migrate_check"] == ""
    assert after["makemigrations_check"] == "No changes detected\n"
    assert after["new_user_id"] == 7
    assert after["erin_again"] == [8, 2]
    assert after["alice_twice"] == ["username"]
    assert after["restored_banned_active"] is False
    assert after["admin"] == [200, 200]


# Refusals, in this process: its database is moa_accounts.User's already. ---------


@pytest.mark.skipif(database_vendor() != "mysql", reason="MariaDB only")
def test_adopt_refuses_mariadb() -> None:
    """On MariaDB/MySQL, whose DDL is not transactional, the command refuses at once."""
    with pytest.raises(CommandError, match="does not support MySQL or MariaDB"):
        call_command("adopt_auth_user")


@skip_on_mariadb
def test_adopt_refuses_before_the_setting_is_switched() -> None:
    """With AUTH_USER_MODEL still auth.User, the command says what to set."""
    with override_settings(AUTH_USER_MODEL="auth.User"), pytest.raises(CommandError) as error:
        call_command("adopt_auth_user")
    assert str(error.value) == (
        "AUTH_USER_MODEL is 'auth.User'; set it to 'moa_accounts.User' "
        "before adopting auth.User's rows."
    )


def tables_seen_as(monkeypatch: pytest.MonkeyPatch, *names: str) -> None:
    monkeypatch.setattr(connection.introspection, "table_names", lambda *a, **k: list(names))


@skip_on_mariadb
@pytest.mark.django_db
@pytest.mark.parametrize("new_database", [False, True])
def test_adopt_does_nothing_without_auth_user(
    monkeypatch: pytest.MonkeyPatch, new_database: bool
) -> None:
    """Adopted already, or a new database: nothing to adopt, and a successful exit."""
    if new_database:
        tables_seen_as(monkeypatch)
    out = io.StringIO()
    call_command("adopt_auth_user", stdout=out)
    assert out.getvalue() == "Nothing to adopt: database 'default' has no auth_user table.\n"


@skip_on_mariadb
@pytest.mark.django_db
@pytest.mark.parametrize(
    ("tables", "message"),
    [
        (
            ("auth_user", "moa_accounts_user"),
            "Both 'auth_user' and 'moa_accounts_user' exist in database 'default'",
        ),
        (
            ("auth_user", "django_content_type", "django_migrations"),
            "The content type 'moa_accounts | user' exists already",
        ),
    ],
)
def test_adopt_refuses_what_it_cannot_adopt(
    monkeypatch: pytest.MonkeyPatch, tables: tuple[str, ...], message: str
) -> None:
    """A migrated moa_accounts beside auth_user, a taken content type: refused."""
    tables_seen_as(monkeypatch, *tables)
    with pytest.raises(CommandError) as error:
        call_command("adopt_auth_user")
    assert str(error.value).startswith(message)


@skip_on_mariadb
@pytest.mark.django_db
def test_adopt_refuses_unapplied_auth_migrations(monkeypatch: pytest.MonkeyPatch) -> None:
    """moa_accounts.0001 builds on auth.0012: adoption needs it applied first."""
    tables_seen_as(monkeypatch, "auth_user", "django_migrations")
    applied = MigrationRecorder.applied_migrations

    def without_latest_auth(self: MigrationRecorder) -> dict[tuple[str, str], Any]:
        found = applied(self)
        found.pop(("auth", "0012_alter_user_first_name_max_length"))
        return found

    monkeypatch.setattr(MigrationRecorder, "applied_migrations", without_latest_auth)
    with pytest.raises(CommandError) as error:
        call_command("adopt_auth_user")
    assert str(error.value) == (
        "Migrations ['auth.0012_alter_user_first_name_max_length'] are not applied. "
        "Apply them with AUTH_USER_MODEL = 'auth.User' first, then adopt."
    )


# moa_accounts.E004 ------------------------------------------------------------------


@pytest.mark.django_db
def test_e004_auth_user_table_not_adopted(monkeypatch: pytest.MonkeyPatch) -> None:
    """migrate's database check points at adopt_auth_user while auth_user is unadopted."""
    tables_seen_as(monkeypatch, "auth_user", "django_migrations")
    [message] = checks.check_auth_user_adopted(databases=["default"])
    assert message.id == "moa_accounts.E004"
    assert message.msg == "Database 'default' still has auth.User's table, not moa_accounts.User's."
    assert message.hint == "Run 'manage.py adopt_auth_user' before 'migrate'."
    assert len(message.msg) < 80


@pytest.mark.django_db
def test_e004_quiet_when_adopted_new_or_elsewhere(monkeypatch: pytest.MonkeyPatch) -> None:
    """Adopted, new, not a database check run, users in another database, or another
    user model: no error."""
    assert checks.check_auth_user_adopted(databases=["default"]) == []
    assert checks.check_auth_user_adopted() == []
    tables_seen_as(monkeypatch, "auth_user")
    with monkeypatch.context() as elsewhere:
        elsewhere.setattr(checks.router, "allow_migrate_model", lambda *args: False)
        assert checks.check_auth_user_adopted(databases=["default"]) == []
    with override_settings(AUTH_USER_MODEL="auth.User"):
        assert checks.check_auth_user_adopted(databases=["default"]) == []
    with override_settings(AUTH_USER_MODEL="nope.Nope"):
        assert checks.check_auth_user_adopted(databases=["default"]) == []
