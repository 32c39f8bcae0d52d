"""Username and email are unique among live users, enforced by every database."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from moa_accounts.constraints import LiveUniqueConstraint
from moa_accounts.models import User

from .concurrency import requires_concurrent_database, run_in_threads

pytestmark = pytest.mark.django_db


def test_duplicate_username_among_live_users_is_a_field_error(
    make_user: Callable[..., User],
) -> None:
    """A second live user with a taken username gets a ValidationError naming the field."""
    make_user("alice")
    with pytest.raises(ValidationError) as caught:
        make_user("alice", "other@example.com")
    assert caught.value.message_dict == {"username": ["A user with that username already exists."]}
    assert User.all_objects.filter(username="alice").count() == 1


@pytest.mark.parametrize("other", ["alice@example.com", "ALICE@Example.COM", "Alice@example.com"])
def test_duplicate_email_in_any_case_is_a_field_error(
    make_user: Callable[..., User], other: str
) -> None:
    """Emails compare case-insensitively: Alice@x and alice@x cannot both be live."""
    make_user("alice", "Alice@example.com")
    with pytest.raises(ValidationError) as caught:
        make_user("bob", other)
    assert caught.value.message_dict == {
        "email": ["A user with that email address already exists."]
    }


def test_deleted_users_free_their_username_and_email(make_user: Callable[..., User]) -> None:
    """The postmortem's incident 4: a dead account no longer locks its name and address."""
    first = make_user("alice", "alice@example.com")
    first.delete()
    second = make_user("alice", "ALICE@example.com")
    second.delete()
    third = make_user("alice", "alice@example.com")
    assert User.all_objects.filter(username="alice").count() == 3
    assert User.objects.get(username="alice") == third


def test_the_database_itself_refuses_live_duplicates(make_user: Callable[..., User]) -> None:
    """Bypassing Django's validation (bulk_create, update) still cannot create a duplicate."""
    make_user("alice", "alice@example.com")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.bulk_create([User(username="alice", email="new@example.com")])
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.bulk_create([User(username="new", email="ALICE@EXAMPLE.COM")])
    bob = make_user("bob", "bob@example.com")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.filter(pk=bob.pk).update(username="alice")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.filter(pk=bob.pk).update(email="Alice@Example.com")


def test_the_database_lets_deleted_rows_share_values(make_user: Callable[..., User]) -> None:
    """Rows written straight to the table with deleted_at set never collide."""
    from django.utils import timezone

    make_user("alice", "alice@example.com")
    now = timezone.now()
    User.all_objects.bulk_create(
        [
            User(username="alice", email="alice@example.com", deleted_at=now),
            User(username="alice", email="ALICE@example.com", deleted_at=now),
        ]
    )
    assert User.all_objects.filter(username="alice").count() == 3


def test_update_that_deletes_frees_the_key_at_database_level(
    make_user: Callable[..., User],
) -> None:
    """A row becomes deleted by an UPDATE; its key leaves the unique index at once."""
    from django.utils import timezone

    alice = make_user("alice", "alice@example.com")
    User.all_objects.filter(pk=alice.pk).update(deleted_at=timezone.now())
    User.objects.bulk_create([User(username="alice", email="alice@example.com")])
    with pytest.raises(IntegrityError), transaction.atomic():
        User.all_objects.filter(pk=alice.pk).update(deleted_at=None)


def test_constraint_mechanism_per_database() -> None:
    """PostgreSQL/SQLite use partial indexes; MariaDB stored generated key columns."""
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, User._meta.db_table)
        columns = [
            column.name
            for column in connection.introspection.get_table_description(
                cursor, User._meta.db_table
            )
        ]
    assert constraints["moa_accounts_user_live_username"]["unique"]
    assert constraints["moa_accounts_user_live_email"]["unique"]
    assert constraints["moa_accounts_user_live_username_key"]["unique"]
    generated = [c for c in columns if c.endswith("_k0")]
    if connection.vendor == "mysql":
        assert generated == [
            "moa_accounts_user_live_username_k0",
            "moa_accounts_user_live_email_k0",
            "moa_accounts_user_live_username_key_k0",
        ]
    else:
        assert generated == []


@pytest.mark.django_db(transaction=True)  # DDL: MariaDB commits, SQLite needs no atomic
def test_migrations_remove_and_add_the_constraint() -> None:
    """RemoveConstraint drops all that AddConstraint adds (MariaDB's key columns too)."""
    from django.apps import apps
    from django.db import migrations
    from django.db.migrations.state import ProjectState

    def inspect() -> tuple[dict[str, object], list[str]]:
        with connection.cursor() as cursor:
            table = User._meta.db_table
            names = connection.introspection.get_constraints(cursor, table)
            description = connection.introspection.get_table_description(cursor, table)
        return names, [column.name for column in description]

    before = ProjectState.from_apps(apps)
    after = before.clone()
    operation = migrations.RemoveConstraint("user", "moa_accounts_user_live_email")
    operation.state_forwards("moa_accounts", after)
    with connection.schema_editor() as editor:
        operation.database_forwards("moa_accounts", editor, before, after)
    names, columns = inspect()
    assert "moa_accounts_user_live_email" not in names
    assert "moa_accounts_user_live_email_k0" not in columns
    assert "moa_accounts_user_live_username" in names
    with connection.schema_editor() as editor:
        operation.database_backwards("moa_accounts", editor, after, before)
    names, _ = inspect()
    assert "moa_accounts_user_live_email" in names
    User.objects.create_user("a", "x@example.com")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.bulk_create([User(username="b", email="X@example.com")])


def test_constraint_deconstructs_and_compares() -> None:
    """Migrations serialize the constraint and notice a change of its options."""
    constraint = LiveUniqueConstraint(
        fields=["email"], name="c", case_insensitive=True, deleted_field="gone_at"
    )
    path, args, kwargs = constraint.deconstruct()
    assert path == "moa_accounts.constraints.LiveUniqueConstraint"
    assert args == ()
    assert kwargs == {
        "fields": ("email",),
        "name": "c",
        "case_insensitive": True,
        "deleted_field": "gone_at",
    }
    assert LiveUniqueConstraint(**kwargs) == constraint
    assert LiveUniqueConstraint(fields=["email"], name="c") != constraint
    assert constraint != object()
    assert "case_insensitive=True" in repr(constraint)
    with pytest.raises(ValueError, match="at least one field"):
        LiveUniqueConstraint(fields=[], name="empty")


def test_username_and_email_count_as_unique_for_django() -> None:
    """auth.E003 is satisfied honestly: the constraints are total over the default manager."""
    total = User._meta.total_unique_constraints
    assert [c.fields for c in total] == [("username",), ("email",), ("username_key",)]
    assert not any(c.condition is not None or c.contains_expressions for c in total)


def test_validation_skips_deleted_instances(make_user: Callable[..., User]) -> None:
    """Editing a deleted user never reports a clash with a live one."""
    make_user("alice", "alice@example.com")
    ghost = make_user("ghost", "ghost@example.com")
    ghost.delete()
    ghost.username = "alice"
    ghost.email = "alice@example.com"
    ghost.full_clean()
    ghost.save()
    assert User.all_objects.get(pk=ghost.pk).username == "alice"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("field", ["username", "email"])
def test_two_racing_signups_one_wins_the_other_gets_a_field_error(field: str) -> None:
    """Both pass validation in parallel transactions; the database lets one row in."""
    requires_concurrent_database()
    barrier = threading.Barrier(2, timeout=20)

    def signup(number: int) -> str:
        username = "racer" if field == "username" else f"racer{number}"
        email = "Racer@example.com" if number else "racer@example.com"
        if field == "username":
            email = f"racer{number}@example.com"
        with transaction.atomic():
            user = User(username=username, email=email)
            user.set_password("pw")
            user.full_clean()  # nothing committed yet: both pass
            barrier.wait()
            user.save()
        return "created"

    results = run_in_threads(lambda: signup(0), lambda: signup(1))
    assert sorted(map(type, results), key=str) == sorted([str, ValidationError], key=str)
    [error] = [r for r in results if isinstance(r, ValidationError)]
    assert list(error.message_dict) == [field]
    assert User.objects.count() == 1
