"""Steps a project's operator takes, each run in its own process.

    python -m tests.adoption.project STEP

with ``DJANGO_SETTINGS_MODULE`` naming the stage's settings (an overlay of
``tests.adoption.settings``, ``settings_moa`` or ``settings_own``). Each step
prints one JSON document on its last line of output, which the tests compare.
"""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Callable
from typing import Any

import django

PASSWORD = "correct horse %s"


def user_model() -> Any:
    from django.contrib.auth import get_user_model

    return get_user_model()


def populate() -> dict[str, Any]:
    """Migrate, then create what a live project has: users, groups, sessions, log, rows."""
    from django.contrib.admin.models import CHANGE, LogEntry
    from django.contrib.auth.models import Group, Permission
    from django.contrib.contenttypes.models import ContentType
    from django.core.management import call_command
    from django.test import Client

    from tests.adoption.library.models import Book, Club

    call_command("migrate", verbosity=0)
    User = user_model()
    editors = Group.objects.create(name="editors")
    editors.permissions.add(Permission.objects.get(codename="add_book"))
    users = {}
    for username, email, extra in [
        ("alice", "alice@example.com", {"is_staff": True, "is_superuser": True}),
        ("bob", "bob@example.com", {}),
        ("carol", "", {"is_active": False}),
        ("dave", "Alice@Example.COM", {}),
        ("erin", "", {}),
    ]:
        users[username] = User.objects.create_user(username, email, PASSWORD % username, **extra)
    # A gap in the ids, as in any real table.
    User.objects.get(username="carol").delete()
    users["carol"] = User.objects.create_user("carol", "", PASSWORD % "carol", is_active=False)
    users["bob"].groups.add(editors)
    view_users = Permission.objects.get(codename=f"view_{User._meta.model_name}")
    users["bob"].user_permissions.add(view_users)
    Book.objects.create(owner=users["alice"], title="Dune")
    Book.objects.create(owner=users["bob"], title="Emma")
    Club.objects.create(name="readers").members.add(users["alice"], users["bob"])
    LogEntry.objects.create(
        user=users["alice"],
        content_type=ContentType.objects.get_for_model(User),
        object_id=str(users["bob"].pk),
        object_repr="bob",
        action_flag=CHANGE,
        change_message="[]",
    )
    for username in ("alice", "bob"):
        assert Client().login(username=username, password=PASSWORD % username)
    return {"shared": shared_addresses(), **facts()}


def shared_addresses() -> list[str]:
    """Find the addresses several users share, as docs/how-to/accounts.md says to."""
    from django.db.models import Count
    from django.db.models.functions import Lower

    User = user_model()
    shared = User.objects.values(address=Lower("email")).annotate(n=Count("id")).filter(n__gt=1)
    return sorted(row["address"] for row in shared)


def give_own_addresses() -> None:
    """Give the users who share an address their own: what the refusal asks for."""
    User = user_model()
    for username in ("dave", "erin"):
        User._base_manager.filter(username=username).update(email=f"{username}@example.com")


def fix_emails() -> dict[str, Any]:
    give_own_addresses()
    return facts()


def facts() -> dict[str, Any]:
    """Describe every user and everything that refers to one, the same way in any stage."""
    from django.contrib.admin.models import LogEntry
    from django.contrib.auth import get_user
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.http import HttpRequest

    from tests.adoption.library.models import Book, Club

    User = user_model()
    users = []
    for user in User._base_manager.order_by("pk"):
        users.append(
            {
                "id": user.pk,
                "username": user.username,
                "email": user.email,
                "password": user.password,
                "password_ok": user.check_password(PASSWORD % user.username),
                "is_active": user.is_active,
                "is_staff": user.is_staff,
                "is_superuser": user.is_superuser,
                "date_joined": user.date_joined.isoformat(),
                "last_login": user.last_login and user.last_login.isoformat(),
                "groups": sorted(user.groups.values_list("name", flat=True)),
                "user_permissions": sorted(user.user_permissions.values_list("pk", flat=True)),
                "permissions": sorted(user.get_all_permissions()),
            }
        )
    logged_in = {}
    for key in Session.objects.values_list("session_key", flat=True):
        request = HttpRequest()
        request.session = SessionStore(key)
        logged_in[key] = get_user(request).pk
    log = [
        {
            "id": entry.pk,
            "user": entry.user_id,
            "about_a_user": entry.content_type.model_class() is User,
            "object": getattr(entry.get_edited_object(), "pk", None),
        }
        for entry in LogEntry.objects.order_by("pk")
    ]
    return {
        "users": users,
        "logged_in": logged_in,
        "log": log,
        "books": list(Book.objects.order_by("pk").values_list("pk", "owner_id")),
        "clubs": [sorted(club.members.values_list("pk", flat=True)) for club in Club.objects.all()],
    }


def schema() -> dict[str, Any]:
    """Describe the tables, columns, indexes and constraints, leaving out their names."""
    from django.db import connection

    found: set[tuple[Any, ...]] = set()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT table_name, column_name, data_type, is_nullable, is_identity, "
                "column_default FROM information_schema.columns WHERE table_schema = 'public'"
            )
            found.update(("column", *row) for row in cursor.fetchall())
            cursor.execute(
                "SELECT tablename, regexp_replace(indexdef, 'INDEX \\S+ ON', 'INDEX ON') "
                "FROM pg_indexes WHERE schemaname = 'public'"
            )
            found.update(("index", *row) for row in cursor.fetchall())
            cursor.execute(
                "SELECT conrelid::regclass::text, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE connamespace = 'public'::regnamespace"
            )
            found.update(("constraint", *row) for row in cursor.fetchall())
        else:
            for table in connection.introspection.table_names(cursor):
                cursor.execute(f"PRAGMA foreign_key_list({table})")
                references = {row[3]: row[2] for row in cursor.fetchall()}
                found.update(("reference", table, column, to) for column, to in references.items())
                cursor.execute(f"PRAGMA table_info({table})")
                for _, name, kind, notnull, default, pk in cursor.fetchall():
                    # SQLite stores integer and bigint alike; see docs/how-to/accounts.md.
                    if references.get(name) == "moa_accounts_user":
                        kind = "integer"
                    found.add(("column", table, name, kind, notnull, default, pk))
            cursor.execute(
                "SELECT tbl_name, substr(sql, instr(sql, ' ON ')) FROM sqlite_master "
                "WHERE type = 'index' AND sql IS NOT NULL"
            )
            found.update(("index", *row) for row in cursor.fetchall())
    return {"schema": sorted(found, key=repr)}


def call(*args: Any, **options: Any) -> str:
    """Run a management command; return its output, or the error it ended with."""
    from django.core.management import call_command

    out = io.StringIO()
    try:
        call_command(*args, stdout=out, stderr=out, **options)
    except SystemExit as exit:
        return f"{out.getvalue()}exit {exit.code}"
    except Exception as error:
        return f"{out.getvalue()}{type(error).__name__}: {error}"
    return out.getvalue()


def rehearse() -> dict[str, Any]:
    """A dry run, a run raced by a signup, a run failing at its last step: no change."""
    from django.db import connection
    from django.db.migrations.recorder import MigrationRecorder

    from moa_accounts import adoption

    dry_run = call("adopt_auth_user", dry_run=True)

    def racing_signup(connection: Any) -> None:
        # Someone signs up with a taken address after the check, before the lock.
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO auth_user (password, is_superuser, username, first_name, "
                "last_name, email, is_staff, is_active, date_joined) "
                "VALUES ('!', %s, 'racer', '', '', 'BOB@example.com', %s, %s, %s)",
                [False, False, True, "2026-01-01 00:00:00+00:00"],
            )

    check = adoption._require_unique_live_emails
    adoption._require_unique_live_emails = racing_signup  # type: ignore[assignment]
    raced = call("adopt_auth_user")
    adoption._require_unique_live_emails = check
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM auth_user WHERE username = 'racer'")

    def fail(*args: Any) -> None:
        raise RuntimeError("the disk is full")

    # The last step inside the transaction, after every change was made.
    adoption._references = fail  # type: ignore[assignment]
    failed = call("adopt_auth_user")
    tables = sorted(
        name
        for name in connection.introspection.table_names()
        if name.startswith(("auth_user", "moa_accounts"))
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT app_label FROM django_content_type WHERE model = 'user' ORDER BY app_label"
        )
        content_types = [row[0] for row in cursor.fetchall()]
    return {
        "dry_run": dry_run,
        "raced": raced,
        "failed": failed,
        "tables": tables,
        "content_types": content_types,
        "recorded": sorted(MigrationRecorder(connection).applied_migrations()),
    }


def adopted() -> dict[str, Any]:
    """After adoption and migrate: migrations are clean and moa-accounts does its job."""
    from django.conf import settings
    from django.core.exceptions import ValidationError
    from django.test import Client

    User = user_model()
    # First, as the docs say: later migrations of moa_accounts apply now.
    result: dict[str, Any] = {"migrate": call("migrate")}
    result.update(
        {
            "migrate_check": call("migrate", check=True),
            "makemigrations_check": call("makemigrations", check=True, dry_run=True),
            "facts": facts(),
            "verified": User._base_manager.filter(email_verified_at__isnull=False).count(),
        }
    )
    if settings.AUTH_USER_MODEL == "moa_accounts.User":
        result["adopt_again"] = call("adopt_auth_user")
    newcomer = User.objects.create_user("frank", "frank@example.com", "pw")
    result["new_user_id"] = newcomer.pk
    User.objects.get(username="erin").delete()
    again = User.objects.create_user("erin", "ERIN@example.com", "pw")
    result["erin_again"] = [again.pk, User.all_objects.filter(username="erin").count()]
    # A deactivation survives delete and restore (moa_accounts.0002, applied by migrate).
    banned = User.objects.create_user("gina", "gina@example.com", "pw", is_active=False)
    banned.delete()
    banned.restore()
    result["restored_banned_active"] = User.objects.get(pk=banned.pk).is_active
    # Adopted usernames got their keys (moa_accounts.0003): a lookalike of one is refused.
    try:
        User.objects.create_user("ALICE", "alice-again@example.com", "pw")
    except ValidationError as error:
        result["alice_lookalike"] = error.message_dict
    try:
        User.objects.create_user("alice", "other@example.com", "pw")
    except ValidationError as error:
        result["alice_twice"] = sorted(error.message_dict)
    client = Client()
    assert client.login(username="alice", password=PASSWORD % "alice")
    result["admin"] = [
        client.get(
            f"/admin/{User._meta.app_label}/{User._meta.model_name}/{again.pk}/change/"
        ).status_code,
        client.get("/admin/").status_code,
    ]
    return result


def own_start() -> dict[str, Any]:
    """The project with its own user model, as it was: its migrations, its data."""
    from django.core.management import call_command

    call_command("makemigrations", "members", verbosity=0)
    return populate()


def own_upgrade() -> dict[str, Any]:
    """On AbstractSoftDeleteUser now: makemigrations, migrate; duplicates block it."""
    from django.core.management import call_command
    from django.db import connection

    out = io.StringIO()
    call_command("makemigrations", "members", stdout=out)
    blocked = None
    if connection.vendor != "mysql":
        blocked = call("migrate")
    # On MariaDB a failed migration stays half applied: fix the addresses first.
    give_own_addresses()
    return {"makemigrations": out.getvalue(), "blocked": blocked, "migrate": call("migrate")}


STEPS: dict[str, Callable[[], dict[str, Any]]] = {
    "populate": populate,
    "fix_emails": fix_emails,
    "facts": facts,
    "rehearse": rehearse,
    "schema": schema,
    "adopted": adopted,
    "own_start": own_start,
    "own_upgrade": own_upgrade,
}


def main(argv: list[str]) -> None:
    django.setup()
    print(json.dumps(STEPS[argv[0]](), sort_keys=True))


if __name__ == "__main__":
    main(sys.argv[1:])
