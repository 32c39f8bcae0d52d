"""System checks of moa-accounts. Ids are stable; the docs list every one."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error
from django.core.checks import Warning as CheckWarning
from django.db import connections, router
from django.db.models import Model

from moa_accounts.conf import app_settings
from moa_accounts.constraints import LiveUniqueConstraint

# Every id, once: docs/reference/accounts.md lists each (tests/test_checks.py asserts it).
BAD_DAYS_ID = "moa_accounts.E001"
BAD_BATCH_SIZE_ID = "moa_accounts.E002"
LIVE_CONSTRAINTS_MISSING_ID = "moa_accounts.E003"
AUTH_USER_NOT_ADOPTED_ID = "moa_accounts.E004"
BAD_LOGIN_LIMIT_ID = "moa_accounts.E005"
UNKNOWN_CACHE_ID = "moa_accounts.E006"
LOGIN_NOT_THROTTLED_ID = "moa_accounts.W001"

DAY_SETTINGS = ("MOA_ACCOUNTS_UNVERIFIED_USER_DAYS", "MOA_ACCOUNTS_DELETED_USER_DAYS")
LOGIN_SETTINGS = (
    "MOA_ACCOUNTS_LOGIN_FAILURES_PER_ACCOUNT_AND_CLIENT",
    "MOA_ACCOUNTS_LOGIN_FAILURES_PER_CLIENT",
    "MOA_ACCOUNTS_LOGIN_WINDOW_S",
    "MOA_ACCOUNTS_LOGIN_FAILURES_PER_ACCOUNT",
    "MOA_ACCOUNTS_LOGIN_ACCOUNT_WINDOW_S",
    "MOA_ACCOUNTS_LOGIN_KNOWN_CLIENT_DAYS",
)
THROTTLED_BACKEND = "moa_accounts.backends.ThrottledModelBackend"


def _positive_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _checks_app(app_configs: Sequence[AppConfig] | None, label: str) -> bool:
    """Whether ``manage.py check`` asked about the app ``label`` (or about every app)."""
    return app_configs is None or any(config.label == label for config in app_configs)


def check_settings(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """Validate the ``MOA_ACCOUNTS_*`` settings' types and ranges, as ``conf`` reads them."""
    if not _checks_app(app_configs, "moa_accounts"):
        return []
    errors: list[CheckMessage] = []
    for name in DAY_SETTINGS:
        value: object = getattr(app_settings, name)
        if not _positive_int(value):
            errors.append(
                Error(
                    f"{name} must be a positive integer, not {value!r}.",
                    hint=f"Set {name} to a whole number of days such as 3 or 30.",
                    id=BAD_DAYS_ID,
                )
            )
    batch_size: object = app_settings.MOA_ACCOUNTS_BATCH_SIZE
    if not _positive_int(batch_size):
        errors.append(
            Error(
                f"MOA_ACCOUNTS_BATCH_SIZE must be a positive integer, not {batch_size!r}.",
                hint="Set MOA_ACCOUNTS_BATCH_SIZE to a row count such as 1000.",
                id=BAD_BATCH_SIZE_ID,
            )
        )
    for name in LOGIN_SETTINGS:
        value = getattr(app_settings, name)
        if not _positive_int(value):
            unit = "a number of seconds" if name.endswith("_S") else "a whole number"
            errors.append(
                Error(
                    f"{name} is not a positive integer.",
                    hint=f"It is {value!r}: set {name} to {unit}.",
                    id=BAD_LOGIN_LIMIT_ID,
                )
            )
    alias = app_settings.MOA_ACCOUNTS_CACHE
    if alias not in settings.CACHES:
        errors.append(
            Error(
                "MOA_ACCOUNTS_CACHE names no cache in CACHES.",
                hint=f"It is {alias!r}: set it to a key of CACHES, such as 'default'.",
                id=UNKNOWN_CACHE_ID,
            )
        )
    return errors


def check_login_throttled(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """Warn at deploy when failed logins are not throttled."""
    if not _checks_app(app_configs, "moa_accounts"):
        return []
    from django.contrib.auth import load_backend

    from moa_accounts.backends import ThrottledModelBackend

    for path in settings.AUTHENTICATION_BACKENDS:
        try:
            backend = load_backend(path)
        except ImportError:  # Django reports a broken backend path itself
            continue
        if isinstance(backend, ThrottledModelBackend):
            return []
    return [
        CheckWarning(
            "Failed logins are not throttled: no ThrottledModelBackend.",
            hint=f"Put {THROTTLED_BACKEND!r} in AUTHENTICATION_BACKENDS.",
            id=LOGIN_NOT_THROTTLED_ID,
        )
    ]


def check_user_model(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """Require the live-uniqueness constraints on a soft-delete user model."""
    from django.contrib.auth import get_user_model

    from moa_accounts.models import AbstractSoftDeleteUser

    try:
        user_model = cast("type[Model]", get_user_model())
    except Exception:  # auth reports a broken AUTH_USER_MODEL itself (auth.E001)
        return []
    # As contrib.auth's own check: about the app that defines the user model.
    if not issubclass(user_model, AbstractSoftDeleteUser) or not _checks_app(
        app_configs, user_model._meta.app_label
    ):
        return []
    live = [c for c in user_model._meta.constraints if isinstance(c, LiveUniqueConstraint)]
    missing = [
        field
        for field, case_insensitive in (
            ("username", False),
            ("email", True),
            ("username_key", False),
        )
        if not any(c.fields == (field,) and c.case_insensitive == case_insensitive for c in live)
    ]
    if not missing:
        return []
    return [
        Error(
            f"{user_model._meta.label} lacks live-unique constraints: {', '.join(missing)}.",
            hint="Extend AbstractSoftDeleteUser.Meta.constraints instead of replacing them.",
            obj=user_model,
            id=LIVE_CONSTRAINTS_MISSING_ID,
        )
    ]


def check_auth_user_adopted(
    app_configs: Sequence[AppConfig] | None = None,
    databases: Sequence[str] | None = None,
    **kwargs: Any,
) -> list[CheckMessage]:
    """Send a project that switched to ``moa_accounts.User`` to ``adopt_auth_user``.

    Without it, ``migrate`` fails with ``InconsistentMigrationHistory``. A
    database check: ``migrate`` runs it, on the database it migrates.
    """
    from django.contrib.auth import get_user_model

    try:
        user_model = cast("type[Model]", get_user_model())
    except Exception:  # auth.E001
        return []
    if user_model._meta.label_lower != "moa_accounts.user" or not _checks_app(
        app_configs, "moa_accounts"
    ):
        return []
    errors: list[CheckMessage] = []
    for alias in databases or []:
        if not router.allow_migrate_model(alias, user_model):
            continue
        tables = connections[alias].introspection.table_names()
        if "auth_user" in tables and user_model._meta.db_table not in tables:
            errors.append(
                Error(
                    f"Database {alias!r} still has auth.User's table, not moa_accounts.User's.",
                    hint="Run 'manage.py adopt_auth_user' before 'migrate'.",
                    id=AUTH_USER_NOT_ADOPTED_ID,
                )
            )
    return errors
