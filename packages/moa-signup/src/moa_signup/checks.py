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


def _positive_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


# Backends that never touch the network: a timeout means nothing to them (and
# with Django 6.1's MAILERS they reject one).
IN_PROCESS_EMAIL_BACKENDS = {
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.dummy.EmailBackend",
    "django.core.mail.backends.filebased.EmailBackend",
    "django.core.mail.backends.locmem.EmailBackend",
}
SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"


def default_mailer() -> tuple[str, object, bool]:
    """Return the default mailer's backend, its timeout and whether MAILERS is used.

    Django 6.1 configures email with ``MAILERS``; before it (and still, with a
    deprecation warning) with ``EMAIL_BACKEND`` and ``EMAIL_TIMEOUT``.
    """
    mailers = getattr(settings, "MAILERS", None)
    if mailers is not None:
        config = mailers.get("default", {}) if isinstance(mailers, dict) else {}
        options = config.get("OPTIONS", {})
        return config.get("BACKEND", SMTP_BACKEND), options.get("timeout"), True
    with warnings.catch_warnings():
        # Django 6.1 warns on every read of a deprecated EMAIL_* setting.
        warnings.filterwarnings("ignore", message=".*MAILERS")
        backend = str(settings.EMAIL_BACKEND)
        timeout = getattr(settings, "EMAIL_TIMEOUT", None)
    return backend, timeout, False


def check_email_timeout(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """Refuse a mail server without a timeout: a hung one would hold the signup open."""
    backend, value, uses_mailers = default_mailer()
    if backend in IN_PROCESS_EMAIL_BACKENDS:
        return []
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return []
    if uses_mailers:
        return [
            Error(
                f"The default mailer needs a timeout in seconds, not {value!r}.",
                hint="Set MAILERS['default']['OPTIONS']['timeout'] = 10: signups "
                "send mail inside a transaction.",
                id="moa_signup.E001",
            )
        ]
    return [
        Error(
            f"EMAIL_TIMEOUT must be a positive number of seconds, not {value!r}.",
            hint="Set EMAIL_TIMEOUT = 10: signups send mail inside a transaction.",
            id="moa_signup.E001",
        )
    ]


def check_settings(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """Validate the ``MOA_SIGNUP_*`` settings' types and values."""
    errors: list[CheckMessage] = []
    for name, default in (
        ("MOA_SIGNUP_ACTIVATION_DAYS", 3),
        ("MOA_SIGNUP_RESEND_PER_ADDRESS", 3),
        ("MOA_SIGNUP_RESEND_PER_IP", 20),
        ("MOA_SIGNUP_RESEND_WINDOW_S", 3600),
        ("MOA_SIGNUP_SIGNUP_PER_ADDRESS", 5),
        ("MOA_SIGNUP_SIGNUP_PER_IP", 20),
        ("MOA_SIGNUP_SIGNUP_WINDOW_S", 3600),
        ("MOA_SIGNUP_PASSWORD_RESET_PER_ADDRESS", 3),
        ("MOA_SIGNUP_PASSWORD_RESET_PER_IP", 20),
        ("MOA_SIGNUP_PASSWORD_RESET_WINDOW_S", 3600),
    ):
        value = getattr(settings, name, default)
        if not _positive_int(value):
            errors.append(
                Error(
                    f"{name} must be a positive integer, not {value!r}.",
                    hint=f"Set {name} to a whole number such as {default}.",
                    id="moa_signup.E002",
                )
            )
    site_url = getattr(settings, "MOA_SIGNUP_SITE_URL", None)
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
                    id="moa_signup.E003",
                )
            )
    login_after = getattr(settings, "MOA_SIGNUP_LOGIN_AFTER_ACTIVATION", False)
    if not isinstance(login_after, bool):
        errors.append(
            Error(
                f"MOA_SIGNUP_LOGIN_AFTER_ACTIVATION must be a bool, not {login_after!r}.",
                hint="Set MOA_SIGNUP_LOGIN_AFTER_ACTIVATION to True or False.",
                id="moa_signup.E004",
            )
        )
    cache = getattr(settings, "MOA_SIGNUP_CACHE", "default")
    if cache not in getattr(settings, "CACHES", {"default": {}}):
        errors.append(
            Error(
                f"MOA_SIGNUP_CACHE names no configured cache: {cache!r}.",
                hint="Set MOA_SIGNUP_CACHE to an alias from CACHES.",
                id="moa_signup.E005",
            )
        )
    return errors


def check_user_model(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """Require a user model with ``is_active`` and an email field."""
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
            id="moa_signup.E006",
        )
    ]


def check_database(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """Warn where concurrent signups for one email address are not serialized."""
    from moa_signup.users import user_model

    vendor = connections[router.db_for_write(user_model())].vendor
    if vendor in ("postgresql", "sqlite"):
        return []
    return [
        Warning(
            f"Concurrent signups are only serialized on PostgreSQL and SQLite, not {vendor}.",
            hint="Add a unique constraint on the user email, or use PostgreSQL.",
            id="moa_signup.W001",
        )
    ]
