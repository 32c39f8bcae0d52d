"""Every system check id: when it fires, its message and its hint."""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import Any
from unittest import mock

import django
import pytest
from django.core.checks import CheckMessage, run_checks
from django.core.management import call_command
from django.test import override_settings

from moa_signup import checks

SRC = Path(checks.__file__)
SMTP = "django.core.mail.backends.smtp.EmailBackend"


def ids(messages: list[CheckMessage]) -> list[str]:
    return [str(message.id) for message in messages]


def mail_settings(timeout: Any, backend: str = SMTP) -> dict[str, Any]:
    """Settings for a default mailer with this backend and timeout."""
    if django.VERSION >= (6, 1):
        options = {"host": "127.0.0.1"}
        if timeout is not None:
            options["timeout"] = timeout
        return {"MAILERS": {"default": {"BACKEND": backend, "OPTIONS": options}}}
    return {"EMAIL_BACKEND": backend, "EMAIL_TIMEOUT": timeout}


def test_checks_registered_and_clean() -> None:
    """The test settings pass ``check``; our checks run as part of it."""
    call_command("check", fail_level="WARNING")
    with override_settings(**mail_settings(None)):
        assert "moa_signup.E001" in ids(run_checks())


def test_ids_are_unique() -> None:
    """Each id belongs to one check function; all documented ids exist."""
    owners: dict[str, set[str]] = {}
    for function in re.split(r"\ndef ", SRC.read_text())[1:]:
        name = function.split("(", 1)[0]
        for check_id in re.findall(r'id="(moa_signup\.[EW]\d{3})"', function):
            owners.setdefault(check_id, set()).add(name)
    assert all(len(names) == 1 for names in owners.values()), owners
    assert set(owners) == {f"moa_signup.E00{i}" for i in range(1, 7)} | {"moa_signup.W001"}


@pytest.mark.parametrize("value", [None, 0, -1, "10", True])
def test_e001_mail_timeout(value: Any) -> None:
    """A network mailer without a positive timeout is an error naming the fix."""
    with override_settings(**mail_settings(value)):
        [message] = checks.check_email_timeout()
    assert message.id == "moa_signup.E001"
    expected = (
        "MAILERS['default']['OPTIONS']['timeout'] = 10"
        if django.VERSION >= (6, 1)
        else "EMAIL_TIMEOUT = 10"
    )
    assert expected in str(message.hint)
    assert len(message.msg) < 80


@pytest.mark.parametrize("value", [10, 0.5])
def test_e001_quiet_with_a_timeout(value: float) -> None:
    with override_settings(**mail_settings(value)):
        assert checks.check_email_timeout() == []


def test_e001_quiet_for_in_process_backends() -> None:
    """Console, file, locmem and dummy backends never wait on a network."""
    for backend in checks.IN_PROCESS_EMAIL_BACKENDS:
        with override_settings(**mail_settings(None, backend)):
            assert checks.check_email_timeout() == []


@pytest.mark.skipif(django.VERSION < (6, 1), reason="MAILERS arrived in Django 6.1")
@pytest.mark.filterwarnings("ignore:.*MAILERS")
def test_e001_deprecated_email_settings_on_django_61(settings: Any) -> None:
    """On Django 6.1 without MAILERS the deprecated EMAIL_TIMEOUT still counts."""
    del settings.MAILERS
    settings.EMAIL_BACKEND = SMTP
    settings.EMAIL_TIMEOUT = None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        [message] = checks.check_email_timeout()
    assert "EMAIL_TIMEOUT = 10" in str(message.hint)
    settings.EMAIL_TIMEOUT = 5
    assert checks.check_email_timeout() == []


@pytest.mark.parametrize(
    "name",
    [
        "MOA_SIGNUP_ACTIVATION_DAYS",
        "MOA_SIGNUP_RESEND_PER_ADDRESS",
        "MOA_SIGNUP_RESEND_PER_IP",
        "MOA_SIGNUP_RESEND_WINDOW_S",
        "MOA_SIGNUP_SIGNUP_PER_ADDRESS",
        "MOA_SIGNUP_SIGNUP_PER_IP",
        "MOA_SIGNUP_SIGNUP_WINDOW_S",
        "MOA_SIGNUP_PASSWORD_RESET_PER_ADDRESS",
        "MOA_SIGNUP_PASSWORD_RESET_PER_IP",
        "MOA_SIGNUP_PASSWORD_RESET_WINDOW_S",
    ],
)
@pytest.mark.parametrize("value", [0, -3, 1.5, "3", None, True])
def test_e002_positive_integers(name: str, value: Any) -> None:
    """Counts and durations must be positive integers."""
    with override_settings(**{name: value}):
        [message] = checks.check_settings()
    assert message.id == "moa_signup.E002"
    assert name in message.msg
    assert len(message.msg) < 80


@pytest.mark.parametrize(
    "value",
    ["example.com", "ftp://example.com", "https://", "https://x.org/app", "https://x.org/?a", 3],
)
def test_e003_site_url(value: Any) -> None:
    """MOA_SIGNUP_SITE_URL must be a bare http(s) origin."""
    with override_settings(MOA_SIGNUP_SITE_URL=value):
        [message] = checks.check_settings()
    assert message.id == "moa_signup.E003"


@pytest.mark.parametrize("value", [None, "https://example.com", "http://localhost:8000/"])
def test_e003_quiet(value: Any) -> None:
    with override_settings(MOA_SIGNUP_SITE_URL=value):
        assert checks.check_settings() == []


def test_e004_login_after_activation_bool() -> None:
    with override_settings(MOA_SIGNUP_LOGIN_AFTER_ACTIVATION="yes"):
        [message] = checks.check_settings()
    assert message.id == "moa_signup.E004"


def test_e005_unknown_cache() -> None:
    with override_settings(MOA_SIGNUP_CACHE="ratelimit"):
        [message] = checks.check_settings()
    assert message.id == "moa_signup.E005"
    assert "CACHES" in str(message.hint)


def test_e006_user_model_without_email() -> None:
    """A user model lacking an email field or is_active cannot sign up."""
    from django.contrib.auth import get_user_model

    model = get_user_model()
    with mock.patch.object(model, "EMAIL_FIELD", "contact", create=True):
        [message] = checks.check_user_model()
    assert message.id == "moa_signup.E006"
    assert "contact" in message.msg
    assert checks.check_user_model() == []


def test_w001_unserialized_database() -> None:
    """Databases without a signup lock get a warning; ours are fine."""
    assert checks.check_database() == []
    with mock.patch("moa_signup.checks.connections") as fake:
        fake.__getitem__.return_value.vendor = "mysql"
        [message] = checks.check_database()
    assert message.id == "moa_signup.W001"
