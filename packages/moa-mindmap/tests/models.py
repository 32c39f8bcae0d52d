"""A user model with a soft delete, as moa-accounts and django-safedelete have."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone


class User(AbstractUser):
    """Django's user plus ``deleted_at``: ``delete()`` keeps the row (``AUTH_USER_MODEL``)."""

    deleted_at = models.DateTimeField(null=True, blank=True)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        """Soft-delete: only ``deleted_at`` changes, so ``is_active`` alone proves nothing."""
        self.deleted_at = timezone.now()
        self.save(update_fields=["deleted_at"])
        return 1, {self._meta.label: 1}

    def hard_delete(self) -> tuple[int, dict[str, int]]:
        return super().delete()
