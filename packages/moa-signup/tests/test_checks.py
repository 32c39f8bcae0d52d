"""Every system check id: when it fires, its message and its hint."""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import Any, get_type_hints
from unittest import mock

import django
import pytest
from django.apps import apps
from django.core.checks import CheckMessage, run_checks
from django.core.management import call_command
from django.test import override_settings

from moa_signup import checks
from moa_signup.conf import POSITIVE_INTEGERS, Settings
from moa_testsupport.checks import assert_check_ids
from moa_testsupport.mail import MAILER_TIMEOUT_CASES, configure_mail

SRC = Path(checks.__file__)
DOCS_PAGE = Path(__file__).resolve().parents[3] / "docs" / "reference" / "signup.md"
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


def test_ids_are_constants_documented_on_the_docs_page() -> None:
    """Every id constant is unique and on docs/reference/signup.md, which lists no other."""
    assert_check_ids(checks, DOCS_PAGE)


def test_no_inline_ids() -> None:
    """Messages use the id constants, so an id is written once."""
    assert re.findall(r'id="moa_signup\.', SRC.read_text()) == []


@pytest.mark.filterwarnings("ignore:The EMAIL_")  # deprecated on Django 6.1
@pytest.mark.parametrize(("values", "expected"), MAILER_TIMEOUT_CASES)
def test_mailers_without_timeout_is_the_rule_moa_ops_applies(
    settings: Any, values: dict[str, Any], expected: list[str]
) -> None:
    """The mailers without a positive timeout, by the cases moa_ops.W005 is tested on too."""
    configure_mail(settings, values)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert list(checks.mailers_without_timeout()) == expected


def test_e001_reports_only_the_mailer_signups_send_with(settings: Any) -> None:
    """Another mailer without a timeout is moa_ops.W005's (at deploy), not an error here."""
    settings.MAILERS = {
        "default": {"BACKEND": SMTP, "OPTIONS": {"host": "127.0.0.1", "timeout": 5}},
        "bulk": {"BACKEND": SMTP, "OPTIONS": {"host": "127.0.0.1"}},
    }
    assert checks.check_email_timeout() == []


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


def test_e002_covers_every_integer_setting() -> None:
    """Each ``int`` setting of ``conf`` is checked, so a new one cannot be left out."""
    integers = {
        name
        for name, value in vars(Settings).items()
        if isinstance(value, property) and get_type_hints(value.fget).get("return") is int
    }
    assert integers == set(POSITIVE_INTEGERS)


@pytest.mark.parametrize("name", POSITIVE_INTEGERS)
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


@pytest.mark.parametrize("name", POSITIVE_INTEGERS)
def test_e002_checks_the_value_conf_resolves(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The check validates what ``conf`` hands the code, defaults included: one source."""
    monkeypatch.setattr(Settings, name, property(lambda self: 0))
    [message] = checks.check_settings()
    assert message.id == checks.NOT_POSITIVE_INTEGER_ID
    assert name in message.msg


@override_settings(MOA_SIGNUP_ACTIVATION_DAYS=0, MOA_SIGNUP_CACHE="nope")
def test_checks_honour_app_configs() -> None:
    """``check auth`` leaves moa-signup's configuration out; ``check moa_signup`` reports it."""
    auth = [apps.get_app_config("auth")]
    signup = [apps.get_app_config("moa_signup")]
    own = (
        checks.check_email_timeout,
        checks.check_settings,
        checks.check_user_model,
        checks.check_database,
    )
    with override_settings(**mail_settings(None)):
        assert [message for check in own for message in check(app_configs=auth)] == []
        found = [message.id for check in own for message in check(app_configs=signup)]
    assert found == [
        checks.MAIL_WITHOUT_TIMEOUT_ID,
        checks.NOT_POSITIVE_INTEGER_ID,
        checks.UNKNOWN_CACHE_ID,
    ]
