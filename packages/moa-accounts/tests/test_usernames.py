# Lookalike letters are what these tests are about.
# ruff: noqa: RUF001, RUF002, RUF003
"""Usernames that read as the same name cannot both be live, on every database."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError

from moa_accounts.forms import AdminUserCreationForm, UserChangeForm
from moa_accounts.models import User
from moa_accounts.usernames import username_key

pytestmark = pytest.mark.django_db

SIMILAR = "A user with a username that looks the same already exists."
TAKEN = "A user with that username already exists."

# (a live name, a second name that must be refused beside it)
LOOKALIKES = [
    ("jun", "\u0458un"),  # Cyrillic je
    ("Ölaf", "ölaf"),  # non-ASCII case: SQLite's LOWER() is ASCII-only
    ("ölaf", "Olaf"),  # accents
    ("straße", "STRASSE"),  # full case folding
    ("paypal", "paypa1"),  # digit one
    ("bob", "\u0412\u041e\u0412"),  # Cyrillic ВОВ
    ("Нина", "нина"),  # Cyrillic case
]


@pytest.mark.parametrize(("live", "lookalike"), LOOKALIKES)
def test_lookalike_of_a_live_username_is_refused(
    make_user: Callable[..., User], live: str, lookalike: str
) -> None:
    """The database refuses the second name, and save() reports it on ``username``."""
    make_user(live, "first@example.com")
    with pytest.raises(ValidationError) as caught:
        make_user(lookalike, "second@example.com")
    assert caught.value.message_dict == {"username": [SIMILAR]}
    assert User.objects.count() == 1


def test_fullwidth_name_is_the_same_name(make_user: Callable[..., User]) -> None:
    """NFKC makes fullwidth ``ａｌｉｃｅ`` the very same username as ``alice``."""
    make_user("alice", "first@example.com")
    with pytest.raises(ValidationError) as caught:
        make_user("ａｌｉｃｅ", "second@example.com")
    assert caught.value.message_dict == {"username": [TAKEN]}


def test_form_reports_a_lookalike_on_the_username_field(make_user: Callable[..., User]) -> None:
    """The admin's add form says so on the field, before any database error."""
    make_user("jun")
    form = AdminUserCreationForm(
        {"username": "\u0458un", "email": "j@example.com", "usable_password": "false"}
    )
    assert not form.is_valid()
    assert form.errors == {"username": [SIMILAR]}
    exact = AdminUserCreationForm(
        {"username": "jun", "email": "j@example.com", "usable_password": "false"}
    )
    assert not exact.is_valid()
    assert exact.errors == {"username": [TAKEN]}


def test_renaming_to_a_lookalike_is_refused(make_user: Callable[..., User]) -> None:
    """Changing a username checks and stores its new key; ``update_fields`` too."""
    make_user("jun")
    other = make_user("other")
    form = UserChangeForm(
        {"username": "JUN", "email": other.email, "date_joined": "2026-01-01 00:00"},
        instance=other,
    )
    assert not form.is_valid()
    assert form.errors["username"] == [SIMILAR]
    other.username = "Jun"
    with pytest.raises(ValidationError):
        other.save(update_fields=["username"])
    other.username = "renamed"
    other.save(update_fields=["username"])
    assert User.objects.get(pk=other.pk).username_key == "renamed"


def test_deleted_names_are_free_and_restore_checks_them(make_user: Callable[..., User]) -> None:
    """A soft-deleted name may be taken by a lookalike; restoring it then is refused."""
    ghost = make_user("Ölaf", "first@example.com")
    ghost.delete()
    make_user("olaf", "second@example.com")
    with pytest.raises(ValidationError) as caught:
        ghost.restore()
    assert caught.value.message_dict == {"username": [SIMILAR]}


def test_bulk_create_stores_the_key(db: None) -> None:
    """``bulk_create()`` fills the key too (through the field's ``pre_save``)."""
    User.objects.bulk_create([User(username="Ölaf", email="o@example.com")])
    assert User.objects.get().username_key == "olaf"


def test_distinct_names_stay_distinct() -> None:
    """Names people read differently keep different keys, in any script."""
    names = ["alice", "alicia", "민수", "민준", "иван", "ivan2", "ivan_", "zoë.z"]
    assert len({username_key(name) for name in names}) == len(names)


@pytest.mark.django_db(transaction=True)  # migrates backwards and forwards
def test_migration_fills_keys_and_refuses_live_lookalikes() -> None:
    """0003 computes every key, and stops (nothing changed) while live users clash."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    if connection.vendor == "mysql":
        pytest.skip("MariaDB commits DDL at once: a failed migration is not rolled back")
    before = ("moa_accounts", "0002_user_active_before_deletion")
    after = ("moa_accounts", "0003_user_username_key")
    executor = MigrationExecutor(connection)
    executor.migrate([before])
    try:
        old = executor.loader.project_state(before).apps.get_model("moa_accounts", "User")
        first = old.objects.create(username="Ölaf", email="a@example.com", password="!")
        second = old.objects.create(username="ölaf", email="b@example.com", password="!")
        executor.loader.build_graph()
        with pytest.raises(RuntimeError, match=rf"\[\({first.pk}, {second.pk}\)\]"):
            executor.migrate([after])
        old.objects.filter(pk=second.pk).update(deleted_at="2026-01-01T00:00:00Z")
        executor.loader.build_graph()
        executor.migrate([after])
        keys = dict(User.all_objects.values_list("username", "username_key"))
        assert keys == {"Ölaf": "olaf", "ölaf": "olaf"}
    finally:
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
