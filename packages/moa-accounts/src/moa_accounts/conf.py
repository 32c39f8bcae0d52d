"""Settings of moa-accounts, read from ``django.conf.settings`` on every access."""

from __future__ import annotations

from django.conf import settings


class Settings:
    """One typed property per ``MOA_ACCOUNTS_*`` setting, with its default beside it."""

    @property
    def MOA_ACCOUNTS_UNVERIFIED_USER_DAYS(self) -> int:
        """Days ``delete_unverified_users`` waits for a new user to verify."""
        return getattr(settings, "MOA_ACCOUNTS_UNVERIFIED_USER_DAYS", 3)

    @property
    def MOA_ACCOUNTS_DELETED_USER_DAYS(self) -> int:
        """Days ``purge_deleted_users`` keeps a soft-deleted user restorable."""
        return getattr(settings, "MOA_ACCOUNTS_DELETED_USER_DAYS", 30)

    @property
    def MOA_ACCOUNTS_BATCH_SIZE(self) -> int:
        """Rows one batch of the delete commands removes in one transaction."""
        return getattr(settings, "MOA_ACCOUNTS_BATCH_SIZE", 1000)


app_settings = Settings()
