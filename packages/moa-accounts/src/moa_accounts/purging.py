"""The shared engine of ``delete_unverified_users`` and ``purge_deleted_users``."""

from __future__ import annotations

from argparse import ArgumentTypeError
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import QuerySet

from moa_accounts.conf import app_settings
from moa_accounts.deletion import hard_delete_in_batches


def positive_int(value: str) -> int:
    """Parse a command-line option that must be a positive whole number."""
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number <= 0:
        raise ArgumentTypeError(f"expected a positive whole number, got {value!r}")
    return number


def soft_delete_user_model() -> Any:
    """Return ``AUTH_USER_MODEL``, which must be a soft-delete user."""
    from moa_accounts.models import AbstractSoftDeleteUser

    user_model = get_user_model()
    if not issubclass(user_model, AbstractSoftDeleteUser):
        raise CommandError(
            f"AUTH_USER_MODEL {user_model._meta.label!r} is not a subclass of "
            "moa_accounts.models.AbstractSoftDeleteUser."
        )
    return user_model


class BatchedUserDeleteCommand(BaseCommand):
    """Hard-delete the users ``select_users()`` returns, in batches."""

    default_days_setting = ""
    noun = "users"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--days",
            type=positive_int,
            default=None,
            help="Age in days (default: %s)." % self.default_days_setting,
        )
        parser.add_argument(
            "--batch-size",
            type=positive_int,
            default=None,
            help="Users deleted per transaction (default: MOA_ACCOUNTS_BATCH_SIZE).",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Count and list the users that would be deleted; delete nothing.",
        )
        parser.add_argument("--database", default="default", help="Database alias.")

    def select_users(self, user_model: Any, age: timedelta) -> QuerySet[Any]:
        raise NotImplementedError

    def handle(self, *args: Any, **options: Any) -> None:
        days = options["days"] or getattr(app_settings, self.default_days_setting)
        batch_size = options["batch_size"] or app_settings.MOA_ACCOUNTS_BATCH_SIZE
        using = options["database"]
        verbosity = options["verbosity"]
        user_model = soft_delete_user_model()
        users = self.select_users(user_model, timedelta(days=days)).using(using)
        total = users.count()
        if options["dry_run"]:
            self.stdout.write(f"Would delete {total} {self.noun} (dry run).")
            if verbosity >= 2:
                for username in users.order_by("pk").values_list(
                    user_model.USERNAME_FIELD, flat=True
                ):
                    self.stdout.write(f"  {username}")
            return
        deleted = 0
        longest = 0.0
        batches = 0
        for batch in hard_delete_in_batches(users, batch_size=batch_size, using=using):
            deleted += batch.deleted
            batches += 1
            longest = max(longest, batch.seconds)
            if total > batch_size and verbosity >= 1:
                self.stdout.write(
                    f"  batch {batches}: {batch.deleted} deleted, "
                    f"{deleted}/{total} ({batch.seconds * 1000:.0f} ms)"
                )
        self.stdout.write(
            self.style.SUCCESS(
                f"Deleted {deleted} {self.noun} in {batches} batches "
                f"(longest {longest * 1000:.0f} ms)."
            )
        )
