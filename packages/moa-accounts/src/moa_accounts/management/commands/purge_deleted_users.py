"""Hard-delete users soft-deleted longer ago than the retention period."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from moa_accounts.purging import BatchedUserDeleteCommand


class Command(BatchedUserDeleteCommand):
    help = "Hard-delete users soft-deleted more than --days days ago, in short batches."
    default_days_setting = "MOA_ACCOUNTS_DELETED_USER_DAYS"
    noun = "deleted users"

    def select_users(self, user_model: Any, age: timedelta) -> QuerySet[Any]:
        return user_model.all_objects.filter(  # type: ignore[no-any-return]
            deleted_at__lt=timezone.now() - age
        )
