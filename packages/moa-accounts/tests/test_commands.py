"""delete_unverified_users and purge_deleted_users."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from moa_accounts.deletion import hard_delete_in_batches
from moa_accounts.models import User
from tests.testapp.models import Board, Card, Label

from .concurrency import requires_concurrent_database, run_in_threads

pytestmark = pytest.mark.django_db


def run(name: str, *args: str) -> str:
    out = StringIO()
    call_command(name, *args, stdout=out)
    return out.getvalue()


def joined(days: float) -> Any:
    return timezone.now() - timedelta(days=days)


@pytest.fixture
def population(make_user: Callable[..., User]) -> dict[str, User]:
    """One user of each kind the command must tell apart."""
    return {
        "doomed": make_user("doomed", date_joined=joined(4)),
        "doomed_deleted": make_user("doomed_deleted", date_joined=joined(5)),
        "recent": make_user("recent", date_joined=joined(1)),
        "verified": make_user("verified", date_joined=joined(4), email_verified_at=joined(3)),
        "logged_in": make_user("logged_in", date_joined=joined(4), last_login=joined(3)),
        "staff": make_user("staff", date_joined=joined(4), is_staff=True),
        "superuser": make_user("superuser", date_joined=joined(4), is_superuser=True),
    }


def test_delete_unverified_users_deletes_exactly_the_unverified(
    population: dict[str, User],
) -> None:
    population["doomed_deleted"].delete()
    output = run("delete_unverified_users", "--days", "3")
    assert "Deleted 2 unverified users in 1 batches" in output
    assert sorted(User.all_objects.values_list("username", flat=True)) == [
        "logged_in",
        "recent",
        "staff",
        "superuser",
        "verified",
    ]


def test_dry_run_deletes_nothing(population: dict[str, User]) -> None:
    out = StringIO()
    call_command("delete_unverified_users", "--days=3", "--dry-run", verbosity=2, stdout=out)
    assert out.getvalue().splitlines() == [
        "Would delete 2 unverified users (dry run).",
        "  doomed",
        "  doomed_deleted",
    ]
    assert User.all_objects.count() == len(population)


def test_batches_report_progress(make_user: Callable[..., User]) -> None:
    for number in range(5):
        make_user(f"u{number}", date_joined=joined(10))
    output = run("delete_unverified_users", "--days", "3", "--batch-size", "2")
    lines = output.splitlines()
    assert [line.split(" (")[0] for line in lines[:3]] == [
        "  batch 1: 2 deleted, 2/5",
        "  batch 2: 2 deleted, 4/5",
        "  batch 3: 1 deleted, 5/5",
    ]
    assert lines[3].startswith("Deleted 5 unverified users in 3 batches (longest ")
    assert User.all_objects.count() == 0


@override_settings(MOA_ACCOUNTS_UNVERIFIED_USER_DAYS=10, MOA_ACCOUNTS_BATCH_SIZE=1)
def test_defaults_come_from_settings(make_user: Callable[..., User]) -> None:
    make_user("old", date_joined=joined(11))
    make_user("young", date_joined=joined(9))
    output = run("delete_unverified_users")
    assert "Deleted 1 unverified users in 1 batches" in output
    assert list(User.objects.values_list("username", flat=True)) == ["young"]


def test_related_rows_go_with_the_user(make_user: Callable[..., User]) -> None:
    user = make_user("doomed", date_joined=joined(4))
    Board.objects.create(owner=user, slug="a")
    run("delete_unverified_users", "--days", "3")
    assert Board.all_objects.count() == 0


def test_batches_delete_exactly_their_users_related_rows(
    make_user: Callable[..., User],
) -> None:
    """Across several batches, each user's boards, cards, labels and groups go with
    that user (on PostgreSQL the keys travel as one array), the kept user's stay."""
    team = Group.objects.create(name="team")
    users = [make_user(f"doomed{i}", date_joined=joined(4)) for i in range(5)]
    users.append(make_user("kept", date_joined=joined(4), email_verified_at=joined(3)))
    for user in users:
        user.groups.add(team)
        board = Board.objects.create(owner=user, slug="b")
        Card.objects.create(board=board, title=user.username)
        Label.objects.create(board=board)
    output = run("delete_unverified_users", "--days", "3", "--batch-size", "2")
    assert "Deleted 5 unverified users in 3 batches" in output
    assert list(User.all_objects.values_list("username", flat=True)) == ["kept"]
    assert list(Board.all_objects.values_list("owner__username", flat=True)) == ["kept"]
    assert list(Card.all_objects.values_list("title", flat=True)) == ["kept"]
    assert list(Label.objects.values_list("board__owner__username", flat=True)) == ["kept"]
    assert list(team.user_set.values_list("username", flat=True)) == ["kept"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--days", "0"], "argument --days: expected a positive whole number, got '0'"),
        (["--days", "-3"], "argument --days: expected a positive whole number, got '-3'"),
        (["--days", "three"], "argument --days: expected a positive whole number"),
        (["--batch-size", "0"], "argument --batch-size: expected a positive whole number"),
    ],
)
def test_bad_options_are_clear_errors(
    population: dict[str, User], args: list[str], message: str
) -> None:
    with pytest.raises(CommandError, match=message):
        call_command("delete_unverified_users", *args)
    assert User.all_objects.count() == len(population)


def test_purge_deleted_users(make_user: Callable[..., User]) -> None:
    old = make_user("old")
    old.delete()
    User.all_objects.filter(pk=old.pk).update(deleted_at=joined(31))
    make_user("fresh").delete()
    make_user("live", date_joined=joined(100))
    output = run("purge_deleted_users", "--days", "30")
    assert "Deleted 1 deleted users in 1 batches" in output
    assert sorted(User.all_objects.values_list("username", flat=True)) == ["fresh", "live"]
    User.all_objects.filter(username="fresh").update(deleted_at=joined(2))
    assert "Would delete 1 deleted users" in run("purge_deleted_users", "--days=1", "--dry-run")
    assert User.all_objects.count() == 2


def test_commands_refuse_a_user_model_without_soft_delete(db: None) -> None:
    from moa_accounts import purging

    with (
        override_settings(AUTH_USER_MODEL="auth.User"),
        pytest.raises(CommandError, match="is not a subclass of"),
    ):
        purging.soft_delete_user_model()


@pytest.mark.django_db(transaction=True)
def test_a_user_who_verifies_during_the_run_is_not_deleted(
    make_user: Callable[..., User],
) -> None:
    """The batch re-checks its filter under a row lock, so verification wins the race."""
    requires_concurrent_database()
    user = make_user("racer", date_joined=joined(4))
    locked = threading.Event()
    release = threading.Event()

    def verify() -> None:
        with transaction.atomic():
            User.objects.select_for_update().get(pk=user.pk)
            locked.set()
            assert release.wait(20)
            User.objects.filter(pk=user.pk).update(email_verified_at=timezone.now())

    def purge() -> list[int]:
        assert locked.wait(20)
        queryset = User.all_objects.filter(email_verified_at__isnull=True)
        # The verifier holds the row: this batch waits, then sees it verified.
        threading.Timer(0.2, release.set).start()
        return [b.deleted for b in hard_delete_in_batches(queryset, batch_size=10)]

    verified, batches = run_in_threads(verify, purge)
    assert verified is None
    assert batches == []
    assert User.objects.get(pk=user.pk).has_verified_email


def test_delete_receivers_get_whole_users(make_user: Callable[..., User]) -> None:
    """With pre_delete receivers connected, each receives the fully loaded user."""
    from django.db.models.signals import pre_delete

    seen: list[str] = []

    def receiver(sender: Any, instance: User, **kwargs: Any) -> None:
        seen.append(instance.email)

    make_user("doomed", "doomed@example.com", date_joined=joined(4))
    pre_delete.connect(receiver, sender=User)
    try:
        run("delete_unverified_users", "--days", "3")
    finally:
        pre_delete.disconnect(receiver, sender=User)
    assert seen == ["doomed@example.com"]
    assert not User.all_objects.exists()
