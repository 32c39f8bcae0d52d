from typing import Any

from django.db import migrations

import moa_accounts.constraints
import moa_accounts.models
from moa_accounts.usernames import username_key


def fill_username_keys(apps: Any, schema_editor: Any) -> None:
    """Give every user its key; refuse (nothing changed) while two live users share one."""
    User = apps.get_model("moa_accounts", "User")
    if User._meta.swapped:  # AUTH_USER_MODEL is another model: this table does not exist
        return
    users = User._base_manager.using(schema_editor.connection.alias)
    rows = list(users.only("pk", "username", "deleted_at").order_by("pk"))
    owners: dict[str, Any] = {}
    clashes: list[tuple[Any, Any]] = []
    for user in rows:
        user.username_key = username_key(user.username)
        if user.deleted_at is None:
            if user.username_key in owners:
                clashes.append((owners[user.username_key], user.pk))
            owners.setdefault(user.username_key, user.pk)
    if clashes:
        raise RuntimeError(
            "Live users whose usernames differ only in case, accents or lookalike "
            "letters (pairs of ids): %r. Rename or delete all but one of each, "
            "then migrate again." % clashes
        )
    users.bulk_update(rows, ["username_key"], batch_size=1000)


KEY_CONSTRAINT = moa_accounts.constraints.LiveUniqueConstraint(
    fields=("username_key",),
    name="moa_accounts_user_live_username_key",
    violation_error_message="A user with a username that looks the same already exists.",
)


def add_key_constraint(apps: Any, schema_editor: Any) -> None:
    User = apps.get_model("moa_accounts", "User")
    if not User._meta.swapped:
        schema_editor.execute(KEY_CONSTRAINT.create_sql(User, schema_editor))


def remove_key_constraint(apps: Any, schema_editor: Any) -> None:
    User = apps.get_model("moa_accounts", "User")
    if not User._meta.swapped:
        schema_editor.execute(KEY_CONSTRAINT.remove_sql(User, schema_editor))


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("moa_accounts", "0002_user_active_before_deletion"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="username_key",
            field=moa_accounts.models.UsernameKeyField(
                blank=True, editable=False, max_length=600, null=True, verbose_name="username key"
            ),
        ),
        migrations.RunPython(fill_username_keys, migrations.RunPython.noop, elidable=False),
        # On SQLite a plain AddConstraint rebuilds the table, which forgets the highest
        # id ever used (adopt_auth_user keeps it): create the index directly instead.
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(add_key_constraint, remove_key_constraint)],
            state_operations=[migrations.AddConstraint(model_name="user", constraint=KEY_CONSTRAINT)],
        ),
    ]
