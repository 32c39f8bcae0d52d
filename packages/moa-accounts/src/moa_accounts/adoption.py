"""Adopt ``django.contrib.auth``'s users as ``moa_accounts.User``, in place.

A project that migrated with ``auth.User`` cannot simply switch
``AUTH_USER_MODEL``: its applied migrations (admin's, its own) now depend on
``moa_accounts.0001_initial``, which was never applied, so ``migrate`` stops
with ``InconsistentMigrationHistory``. ``adopt_auth_user()`` brings the
database to the state ``moa_accounts.0001_initial`` describes without losing a
row, in one transaction:

1. ``auth_user`` loses its unique constraint on ``username`` (uniqueness holds
   among live users only) and gains ``deleted_at`` and ``email_verified_at``;
2. it is renamed ``moa_accounts_user``: every foreign key to it, from any app,
   keeps pointing at the same rows;
3. group and permission memberships move to moa_accounts' tables, ids kept;
4. where the primary key's column type changes (``integer`` to ``bigint`` on
   PostgreSQL), every column that references it changes with it;
5. the live-uniqueness constraints are created;
6. the ``auth | user`` content type becomes ``moa_accounts | user``, so
   permissions and admin log entries follow;
7. ``moa_accounts.0001_initial`` is recorded as applied.

PostgreSQL and SQLite run schema changes inside transactions, so a failure at
any step leaves the database as it was. MySQL and MariaDB commit every schema
change at once; adoption refuses to run there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import CommandError
from django.core.management.color import no_style
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connections, models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

# The migration whose schema adoption creates and records.
ADOPTED_MIGRATION = ("moa_accounts", "0001_initial")
AUTH_USER_TABLE = "auth_user"
# Django's own names for auth.User's many-to-many tables.
AUTH_M2M_TABLES = {
    "groups": "auth_user_groups",
    "user_permissions": "auth_user_user_permissions",
}


@dataclass(frozen=True)
class Adoption:
    """What ``adopt_auth_user()`` did (or, in a dry run, would do)."""

    users: int
    group_memberships: int
    user_permissions: int
    references: list[str]
    unverified_never_logged_in: int
    emails_marked_verified: bool
    dry_run: bool


class _DryRun(Exception):
    """Raised inside the transaction to roll a dry run back."""


def adopt_auth_user(
    using: str = DEFAULT_DB_ALIAS, *, mark_emails_verified: bool = False, dry_run: bool = False
) -> Adoption | None:
    """Turn ``auth_user`` into ``moa_accounts_user``; return what was done.

    Return ``None`` when there is nothing to adopt: no ``auth_user`` table
    (adopted already, or a new project).
    Raise ``CommandError`` without changing anything when a precondition
    fails or a step fails.
    """
    connection = connections[using]
    if connection.vendor == "mysql":
        raise CommandError(
            "adopt_auth_user does not support MySQL or MariaDB: they commit each "
            "schema change at once, so a failure would leave a half-adopted database."
        )
    user_model = get_user_model()
    if user_model._meta.label_lower != "moa_accounts.user":
        raise CommandError(
            f"AUTH_USER_MODEL is {settings.AUTH_USER_MODEL!r}; set it to "
            "'moa_accounts.User' before adopting auth.User's rows."
        )
    target_table = user_model._meta.db_table
    tables = set(connection.introspection.table_names())
    if AUTH_USER_TABLE not in tables:
        return None
    if target_table in tables:
        raise CommandError(
            f"Both {AUTH_USER_TABLE!r} and {target_table!r} exist in database {using!r}: "
            "moa_accounts was migrated already, and adoption cannot merge two user tables."
        )
    loader = MigrationLoader(connection, ignore_no_migrations=True)
    _require_dependencies_applied(loader)
    _require_free_content_type(using)
    _require_unique_live_emails(connection)

    applied = [key for key in loader.applied_migrations or {} if key in loader.graph.nodes]
    state = loader.project_state([*applied, ADOPTED_MIGRATION], at_end=True)
    # Historical models, as a migration uses: their fields are flat (no abstract
    # bases to inherit many-to-many fields from) and their relations are those
    # of the applied migrations, that is, of the tables that exist.
    auth_user = state.apps.get_model("auth", "User")
    target = state.apps.get_model("moa_accounts", "User")
    try:
        with connection.schema_editor(atomic=True) as editor:
            adoption = _adopt(connection, editor, auth_user, target, mark_emails_verified, dry_run)
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    except IntegrityError as error:
        raise CommandError(
            f"Adoption was rolled back, nothing changed: {error}. "
            "Another process may have written users meanwhile; run it again."
        ) from error
    _clear_content_type_cache()
    return adoption


def _adopt(
    connection: BaseDatabaseWrapper,
    editor: BaseDatabaseSchemaEditor,
    auth_user: type[models.Model],
    target: type[models.Model],
    mark_emails_verified: bool,
    dry_run: bool,
) -> Adoption:
    quote = connection.ops.quote_name
    target_table = target._meta.db_table
    next_id = _sqlite_sequence(connection, AUTH_USER_TABLE)
    # 1. On auth_user itself, so that PostgreSQL's "_like" index on username,
    # named after auth_user, is found and dropped with the unique constraint.
    editor.alter_field(auth_user, _field(auth_user, "username"), _field(target, "username"))
    for name in ("deleted_at", "email_verified_at"):
        editor.add_field(auth_user, _field(target, name))
    # 2. Foreign keys follow a renamed table: PostgreSQL references tables by
    # oid, SQLite (3.26+) rewrites references on rename.
    editor.alter_db_table(target, AUTH_USER_TABLE, target_table)
    # 3. New tables with moa_accounts' names, constraints and column types.
    counts = {}
    throughs = []
    for name, old_table in AUTH_M2M_TABLES.items():
        field = _field(target, name)
        assert isinstance(field, models.ManyToManyField)
        through = field.remote_field.through
        assert through is not None
        editor.create_model(through)
        columns = ", ".join(quote(str(f.column)) for f in through._meta.local_concrete_fields)
        editor.execute(
            f"INSERT INTO {quote(through._meta.db_table)} ({columns}) "
            f"SELECT {columns} FROM {quote(old_table)}"
        )
        counts[name] = through._base_manager.using(connection.alias).count()
        editor.execute(editor.sql_delete_table % {"table": quote(old_table)})
        throughs.append(through)
    for statement in connection.ops.sequence_reset_sql(no_style(), throughs):
        editor.execute(statement)
    # 4. integer -> bigint where the backend tells them apart (PostgreSQL).
    old_pk = models.AutoField(auto_created=True, primary_key=True, serialize=False)
    old_pk.set_attributes_from_name("id")
    old_pk.model = target
    new_pk = target._meta.pk
    assert new_pk is not None
    if old_pk.db_type(connection) != new_pk.db_type(connection):
        editor.alter_field(target, old_pk, new_pk)
    # 5. Duplicates were refused above; a racing writer makes this fail.
    for constraint in target._meta.constraints:
        editor.add_constraint(target, constraint)
    if next_id is not None:
        # SQLite rebuilt the table: keep its promise never to reuse an id.
        editor.execute(
            "UPDATE sqlite_sequence SET seq = MAX(seq, %s) WHERE name = %s", (next_id, target_table)
        )
    # 6. and 7.
    _rename_content_type(connection.alias)
    # Recorded already if moa_accounts was installed before the switch: its
    # migration then ran with its User swapped out, creating nothing.
    app, name = ADOPTED_MIGRATION
    MigrationRecorder(connection).migration_qs.get_or_create(app=app, name=name)

    users = target._base_manager.using(connection.alias)
    if mark_emails_verified:
        users.update(email_verified_at=timezone.now())
    unverified = users.filter(
        email_verified_at__isnull=True, last_login__isnull=True, is_staff=False, is_superuser=False
    ).count()
    return Adoption(
        users=users.count(),
        group_memberships=counts["groups"],
        user_permissions=counts["user_permissions"],
        references=_references(target),
        unverified_never_logged_in=unverified,
        emails_marked_verified=mark_emails_verified,
        dry_run=dry_run,
    )


def _sqlite_sequence(connection: BaseDatabaseWrapper, table: str) -> int | None:
    if connection.vendor != "sqlite":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        row = cursor.fetchone()
    return int(row[0]) if row else None


def _field(model: type[models.Model], name: str) -> models.Field[Any, Any]:
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field)
    return field


def _require_dependencies_applied(loader: MigrationLoader) -> None:
    applied = loader.applied_migrations or {}
    missing = [
        f"{app}.{name}"
        for app, name in loader.graph.forwards_plan(ADOPTED_MIGRATION)[:-1]
        if (app, name) not in applied
    ]
    if missing:
        raise CommandError(
            f"Migrations {missing!r} are not applied. Apply them with "
            "AUTH_USER_MODEL = 'auth.User' first, then adopt."
        )


# auth's migrations need contenttypes' (installed and applied, as checked
# above), so its table is there.


def _require_free_content_type(using: str) -> None:
    from django.contrib.contenttypes.models import ContentType

    if ContentType.objects.using(using).filter(app_label="moa_accounts", model="user").exists():
        raise CommandError(
            "The content type 'moa_accounts | user' exists already, so 'auth | user' "
            "cannot become it. Delete it if nothing refers to it, then adopt."
        )


def _require_unique_live_emails(connection: BaseDatabaseWrapper) -> None:
    # auth_user's username is unique over all rows already; only the email,
    # compared case-insensitively, can break the live-uniqueness constraint.
    quote = connection.ops.quote_name
    table, email = quote(AUTH_USER_TABLE), quote("email")
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT LOWER({email}), {quote('username')}, {quote('id')} FROM {table} "
            f"WHERE LOWER({email}) IN (SELECT LOWER({email}) FROM {table} "
            f"GROUP BY LOWER({email}) HAVING COUNT(*) > 1) "
            f"ORDER BY LOWER({email}), {quote('id')}"
        )
        rows = cursor.fetchall()
    if not rows:
        return
    shared: dict[str, list[str]] = {}
    for address, username, pk in rows:
        shared.setdefault(address, []).append(f"{username!r} (id {pk})")
    lines = "\n".join(f"  {address!r}: {', '.join(users)}" for address, users in shared.items())
    raise CommandError(
        "Users share email addresses, and moa_accounts.User gives an address to one live "
        "user only (compared case-insensitively; users without one share ''):\n"
        f"{lines}\nGive these users distinct addresses, then adopt. Nothing was changed."
    )


def _rename_content_type(using: str) -> None:
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.using(using).filter(app_label="auth", model="user").update(
        app_label="moa_accounts"
    )


def _clear_content_type_cache() -> None:
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()


def _references(target: type[models.Model]) -> list[str]:
    """Name the fields of other models that refer to the user."""
    names = set()
    for relation in target._meta.get_fields(include_hidden=True):
        if not relation.auto_created or relation.concrete:
            continue  # a forward field of the user itself
        related: Any = relation
        if not related.many_to_many and related.related_model._meta.auto_created:
            continue  # a many-to-many table: named by its ManyToManyField
        names.add(f"{related.related_model._meta.label}.{related.field.name}")
    return sorted(names)
