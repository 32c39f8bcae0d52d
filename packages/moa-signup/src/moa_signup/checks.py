"""System checks of moa-signup. Ids are stable; the docs list every one."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning
from django.core.exceptions import FieldDoesNotExist
from django.db import connections, router

from moa_signup.conf import DEFAULT_TASK_RETRY_DELAYS_S, POSITIVE_INTEGERS, app_settings

# Every id, once: docs/reference/signup.md lists each (tests/test_checks.py asserts it).
MAIL_WITHOUT_TIMEOUT_ID = "moa_signup.E001"
NOT_POSITIVE_INTEGER_ID = "moa_signup.E002"
BAD_SITE_URL_ID = "moa_signup.E003"
LOGIN_AFTER_ACTIVATION_NOT_BOOL_ID = "moa_signup.E004"
UNKNOWN_CACHE_ID = "moa_signup.E005"
USER_MODEL_FIELDS_MISSING_ID = "moa_signup.E006"
SIGNUPS_NOT_SERIALIZED_ID = "moa_signup.W001"
UNKNOWN_DELIVERY_ID = "moa_signup.E007"
NO_TASK_BACKEND_ID = "moa_signup.E008"
BAD_RETRY_DELAYS_ID = "moa_signup.E009"
DELIVERIES = ("inline", "task")

# Backends that never touch the network: a timeout means nothing to them (and
# with Django 6.1's MAILERS they reject one).
IN_PROCESS_EMAIL_BACKENDS = frozenset(
    {
        "django.core.mail.backends.console.EmailBackend",
        "django.core.mail.backends.dummy.EmailBackend",
        "django.core.mail.backends.filebased.EmailBackend",
        "django.core.mail.backends.locmem.EmailBackend",
    }
)
SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
LEGACY_MAILER = "EMAIL_TIMEOUT"
DEFAULT_MAILER = "MAILERS['default']"


def _positive_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _checks_moa_signup(app_configs: Sequence[AppConfig] | None) -> bool:
    """Whether ``manage.py check`` asked about moa-signup's own configuration."""
    return app_configs is None or any(config.name == "moa_signup" for config in app_configs)


def mailers_without_timeout() -> dict[str, object]:
    """Return ``{mailer: timeout}`` for each mailer that waits on a network unbounded.

    The rule of moa_signup.E001 and moa_ops.W005: a mailer whose backend is
    not in-process needs a timeout that is a positive number of seconds.
    Mailers are named ``"MAILERS['alias']"`` (Django 6.1) or
    ``"EMAIL_TIMEOUT"`` (``EMAIL_BACKEND`` and ``EMAIL_TIMEOUT``, still read on
    Django 6.1 without ``MAILERS``). moa-ops depends on no other Moa package,
    so its checks hold the same function; the cases in
    ``moa_testsupport.mail`` keep the two alike.
    """
    mailers = getattr(settings, "MAILERS", None)
    if mailers is None:
        with warnings.catch_warnings():
            # Django 6.1 warns on every read of a deprecated EMAIL_* setting.
            warnings.simplefilter("ignore")
            found = {LEGACY_MAILER: (str(settings.EMAIL_BACKEND), settings.EMAIL_TIMEOUT)}
    else:
        found = {
            f"MAILERS[{alias!r}]": (
                config.get("BACKEND", SMTP_BACKEND),
                config.get("OPTIONS", {}).get("timeout"),
            )
            for alias, config in (mailers.items() if isinstance(mailers, dict) else ())
        }
    return {
        name: timeout
        for name, (backend, timeout) in found.items()
        if backend not in IN_PROCESS_EMAIL_BACKENDS
        and (isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0)
    }


def check_email_timeout(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """Refuse a mail server without a timeout: a hung one would hold the signup open.

    The mailer signups send with (the default one) only; moa_ops.W005 reports
    every mailer at deploy.
    """
    if not _checks_moa_signup(app_configs):
        return []
    missing = mailers_without_timeout()
    if LEGACY_MAILER in missing:
        return [
            Error(
                f"EMAIL_TIMEOUT must be a positive number of seconds, not "
                f"{missing[LEGACY_MAILER]!r}.",
                hint="Set EMAIL_TIMEOUT = 10: signups send mail inside a transaction.",
                id=MAIL_WITHOUT_TIMEOUT_ID,
            )
        ]
    if DEFAULT_MAILER in missing:
        return [
            Error(
                f"The default mailer needs a timeout in seconds, not {missing[DEFAULT_MAILER]!r}.",
                hint="Set MAILERS['default']['OPTIONS']['timeout'] = 10: signups "
                "send mail inside a transaction.",
                id=MAIL_WITHOUT_TIMEOUT_ID,
            )
        ]
    return []


def check_settings(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """Validate the ``MOA_SIGNUP_*`` settings' types and values, as ``conf`` reads them."""
    if not _checks_moa_signup(app_configs):
        return []
    errors: list[CheckMessage] = []
    for name in POSITIVE_INTEGERS:
        value: object = getattr(app_settings, name)
        if not _positive_int(value):
            errors.append(
                Error(
                    f"{name} must be a positive integer, not {value!r}.",
                    hint=f"Set {name} to a whole number above zero, or remove it.",
                    id=NOT_POSITIVE_INTEGER_ID,
                )
            )
    site_url: object = app_settings.MOA_SIGNUP_SITE_URL
    if site_url is not None:
        parts = urlsplit(site_url) if isinstance(site_url, str) else None
        if (
            parts is None
            or parts.scheme not in ("http", "https")
            or not parts.netloc
            or parts.path not in ("", "/")
            or parts.query
            or parts.fragment
        ):
            errors.append(
                Error(
                    f"MOA_SIGNUP_SITE_URL must be a scheme and host, not {site_url!r}.",
                    hint="Set MOA_SIGNUP_SITE_URL = 'https://example.com' or None.",
                    id=BAD_SITE_URL_ID,
                )
            )
    # Typed as conf promises; the check is here for a value that breaks the promise.
    login_after: object = app_settings.MOA_SIGNUP_LOGIN_AFTER_ACTIVATION
    if not isinstance(login_after, bool):
        errors.append(
            Error(
                f"MOA_SIGNUP_LOGIN_AFTER_ACTIVATION must be a bool, not {login_after!r}.",
                hint="Set MOA_SIGNUP_LOGIN_AFTER_ACTIVATION to True or False.",
                id=LOGIN_AFTER_ACTIVATION_NOT_BOOL_ID,
            )
        )
    errors.extend(_delivery_errors())
    cache = app_settings.MOA_SIGNUP_CACHE
    if cache not in settings.CACHES:
        errors.append(
            Error(
                f"MOA_SIGNUP_CACHE names no configured cache: {cache!r}.",
                hint="Set MOA_SIGNUP_CACHE to an alias from CACHES.",
                id=UNKNOWN_CACHE_ID,
            )
        )
    return errors


def _delivery_errors() -> list[CheckMessage]:
    delivery: object = app_settings.MOA_SIGNUP_DELIVERY
    if delivery not in DELIVERIES:
        return [
            Error(
                f"MOA_SIGNUP_DELIVERY must be 'inline' or 'task', not {delivery!r}.",
                hint="'inline' sends the activation email during signup; 'task' queues it.",
                id=UNKNOWN_DELIVERY_ID,
            )
        ]
    if delivery != "task":
        return []
    errors: list[CheckMessage] = []
    # Read raw: conf's property would fail on a value that is not a sequence.
    name = "MOA_SIGNUP_TASK_RETRY_DELAYS_S"
    delays: object = getattr(settings, name, DEFAULT_TASK_RETRY_DELAYS_S)
    if not isinstance(delays, list | tuple) or not all(
        isinstance(delay, int) and not isinstance(delay, bool) and delay >= 0 for delay in delays
    ):
        errors.append(
            Error(
                f"MOA_SIGNUP_TASK_RETRY_DELAYS_S must be a sequence of whole seconds, "
                f"not {delays!r}.",
                hint="For example (60, 300, 1800): four attempts in all.",
                id=BAD_RETRY_DELAYS_ID,
            )
        )
    alias = app_settings.MOA_SIGNUP_TASK_BACKEND
    try:
        try:
            from django.tasks import task_backends  # type: ignore[import-not-found,unused-ignore]
        except ImportError:
            from django_tasks import task_backends  # type: ignore[import-not-found,no-redef,unused-ignore]
    except ImportError:
        problem = "Django's tasks framework is not installed (Django 5.2: django-tasks)"
    else:
        configured = getattr(settings, "TASKS", None) or {"default": {}}
        problem = "" if alias in configured else f"TASKS has no backend {alias!r}"
        if not problem:
            try:
                task_backends[alias]
            except Exception as exc:  # the backend's module or options are wrong
                problem = f"TASKS[{alias!r}] does not load ({exc})"
    if problem:
        errors.append(
            Error(
                f"MOA_SIGNUP_DELIVERY = 'task' needs a task backend: {problem}.",
                hint="Install django-tasks-db (with Django 5.2, django-tasks too), add it to "
                "TASKS and INSTALLED_APPS, or set MOA_SIGNUP_TASK_BACKEND.",
                id=NO_TASK_BACKEND_ID,
            )
        )
    return errors


def check_user_model(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """Require a user model with ``is_active`` and an email field."""
    if not _checks_moa_signup(app_configs):
        return []
    from moa_signup.users import email_field_name, user_model

    model = user_model()
    missing = []
    for name in ("is_active", email_field_name()):
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            missing.append(name)
            continue
        if not getattr(field, "concrete", False):
            missing.append(name)
    if not missing:
        return []
    return [
        Error(
            f"{model._meta.label} lacks the field(s) {', '.join(missing)}.",
            hint="Give the user model is_active and an email field (EMAIL_FIELD).",
            obj=model,
            id=USER_MODEL_FIELDS_MISSING_ID,
        )
    ]


def check_database(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """Warn where concurrent signups for one email address are not serialized."""
    if not _checks_moa_signup(app_configs):
        return []
    from moa_signup.users import user_model

    vendor = connections[router.db_for_write(user_model())].vendor
    if vendor in ("postgresql", "sqlite"):
        return []
    return [
        Warning(
            f"Concurrent signups are only serialized on PostgreSQL and SQLite, not {vendor}.",
            hint="Add a unique constraint on the user email, or use PostgreSQL.",
            id=SIGNUPS_NOT_SERIALIZED_ID,
        )
    ]
