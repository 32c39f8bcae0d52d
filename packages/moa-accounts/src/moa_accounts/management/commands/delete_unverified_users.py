"""Hard-delete accounts that never verified their email address."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from moa_accounts.purging import BatchedUserDeleteCommand


class Command(BatchedUserDeleteCommand):
    help = (
        "Hard-delete users who never verified their email, never logged in, are "
        "not staff and joined more than --days days ago, in short batches."
    )
    default_days_setting = "MOA_ACCOUNTS_UNVERIFIED_USER_DAYS"
    noun = "unverified users"

    def select_users(self, user_model: Any, age: timedelta) -> QuerySet[Any]:
        return user_model.all_objects.filter(  # type: ignore[no-any-return]
            email_verified_at__isnull=True,
            last_login__isnull=True,
            is_staff=False,
            is_superuser=False,
            date_joined__lt=timezone.now() - age,
        )
