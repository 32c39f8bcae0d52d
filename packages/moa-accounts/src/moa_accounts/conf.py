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

    @property
    def MOA_ACCOUNTS_LOGIN_FAILURES_PER_ACCOUNT_AND_CLIENT(self) -> int:
        """Failed logins one client may make for one account per login window."""
        return getattr(settings, "MOA_ACCOUNTS_LOGIN_FAILURES_PER_ACCOUNT_AND_CLIENT", 5)

    @property
    def MOA_ACCOUNTS_LOGIN_FAILURES_PER_CLIENT(self) -> int:
        """Failed logins one client may make, for any accounts, per login window."""
        return getattr(settings, "MOA_ACCOUNTS_LOGIN_FAILURES_PER_CLIENT", 100)

    @property
    def MOA_ACCOUNTS_LOGIN_WINDOW_S(self) -> int:
        """Seconds the per-account-and-client and per-client counters last."""
        return getattr(settings, "MOA_ACCOUNTS_LOGIN_WINDOW_S", 900)

    @property
    def MOA_ACCOUNTS_LOGIN_FAILURES_PER_ACCOUNT(self) -> int:
        """Failed logins for one account, from unknown clients, per account window."""
        return getattr(settings, "MOA_ACCOUNTS_LOGIN_FAILURES_PER_ACCOUNT", 50)

    @property
    def MOA_ACCOUNTS_LOGIN_ACCOUNT_WINDOW_S(self) -> int:
        """Seconds the per-account counter lasts (short: it can lock out the owner)."""
        return getattr(settings, "MOA_ACCOUNTS_LOGIN_ACCOUNT_WINDOW_S", 300)

    @property
    def MOA_ACCOUNTS_LOGIN_KNOWN_CLIENT_DAYS(self) -> int:
        """Days a client that logged in to an account skips that account's counter."""
        return getattr(settings, "MOA_ACCOUNTS_LOGIN_KNOWN_CLIENT_DAYS", 30)

    @property
    def MOA_ACCOUNTS_CACHE(self) -> str:
        """Alias of the cache that holds the failed-login counters."""
        return getattr(settings, "MOA_ACCOUNTS_CACHE", "default")


app_settings = Settings()
