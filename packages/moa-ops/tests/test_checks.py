"""Every system check id: when it fires, its message and its hint."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core.checks import CheckMessage, run_checks
from django.core.management import call_command
from django.test import override_settings

from moa_ops import checks

PROXY = ("HTTP_X_FORWARDED_PROTO", "https")


def ids(messages: list[CheckMessage]) -> list[str]:
    return [str(message.id) for message in messages]


def test_checks_registered_and_clean() -> None:
    """The test settings pass ``check`` and ``check --deploy`` runs our deploy checks."""
    call_command("check", fail_level="WARNING")
    assert "moa_ops.W001" not in ids(run_checks(include_deployment_checks=True))
    with override_settings(SECURE_SSL_REDIRECT=True, SECURE_PROXY_SSL_HEADER=None):
        assert "moa_ops.W001" in ids(run_checks(include_deployment_checks=True))
        assert "moa_ops.W001" not in ids(run_checks())


@override_settings(SECURE_SSL_REDIRECT=True, SECURE_PROXY_SSL_HEADER=None)
def test_w001_ssl_redirect_without_proxy_header() -> None:
    [message] = checks.check_proxy_ssl_header()
    assert message.id == "moa_ops.W001"
    assert "SECURE_PROXY_SSL_HEADER" in str(message.hint)


@override_settings(SECURE_SSL_REDIRECT=True, SECURE_PROXY_SSL_HEADER=PROXY)
def test_w001_quiet_with_proxy_header() -> None:
    assert checks.check_proxy_ssl_header() == []


@override_settings(INSTALLED_APPS=["django.contrib.contenttypes", "channels", "daphne"])
def test_w002_channels_without_daphne_first() -> None:
    [message] = checks.check_daphne_for_channels()
    assert message.id == "moa_ops.W002"
    assert "404" in str(message.hint)


@override_settings(INSTALLED_APPS=["daphne", "channels"], ASGI_APPLICATION="x.asgi.app")
def test_w002_quiet_with_daphne_first() -> None:
    assert checks.check_daphne_for_channels() == []


@override_settings(INSTALLED_APPS=["django.contrib.contenttypes", "moa_ops"], ASGI_APPLICATION=None)
def test_w002_quiet_without_channels() -> None:
    assert checks.check_daphne_for_channels() == []


@override_settings(DEBUG=False)
def test_w003_in_memory_layer_in_production() -> None:
    [message] = checks.check_in_memory_channel_layer()
    assert message.id == "moa_ops.W003"
    with override_settings(DEBUG=True):
        assert checks.check_in_memory_channel_layer() == []
    redis = {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer"}}
    with override_settings(CHANNEL_LAYERS=redis):
        assert checks.check_in_memory_channel_layer() == []


@override_settings(
    SECURE_PROXY_SSL_HEADER=PROXY,
    ALLOWED_HOSTS=["app.example.com", ".example.org", "127.0.0.1", "localhost"],
    CSRF_TRUSTED_ORIGINS=["https://app.example.com"],
)
def test_w004_missing_https_origin_behind_proxy() -> None:
    [message] = checks.check_csrf_trusted_origins()
    assert message.id == "moa_ops.W004"
    assert "https://*.example.org" in str(message.hint)
    with override_settings(
        CSRF_TRUSTED_ORIGINS=["https://app.example.com", "https://*.example.org"]
    ):
        assert checks.check_csrf_trusted_origins() == []
    with override_settings(SECURE_PROXY_SSL_HEADER=None):
        assert checks.check_csrf_trusted_origins() == []


SMTP = "django.core.mail.backends.smtp.EmailBackend"


@pytest.mark.filterwarnings("ignore:The EMAIL_:Warning")  # deprecated on Django 6.1
@override_settings(EMAIL_BACKEND=SMTP, EMAIL_TIMEOUT=None)
def test_w005_email_timeout() -> None:
    """SMTP without a timeout warns (pytest-django's locmem backend needs none)."""
    [message] = checks.check_email_timeout()
    assert message.id == "moa_ops.W005"
    assert "EMAIL_TIMEOUT = 10" in str(message.hint)
    with override_settings(EMAIL_TIMEOUT=10):
        assert checks.check_email_timeout() == []
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.console.EmailBackend"):
        assert checks.check_email_timeout() == []


def test_w005_mailers() -> None:
    """Django 6.1's MAILERS: each SMTP mailer needs a timeout in its OPTIONS."""
    smtp = "django.core.mail.backends.smtp.EmailBackend"
    mailers = {
        "default": {"BACKEND": smtp, "OPTIONS": {"host": "mail", "timeout": 5}},
        "bulk": {"BACKEND": smtp, "OPTIONS": {"host": "mail"}},
        "console": {"BACKEND": "django.core.mail.backends.console.EmailBackend"},
    }
    with override_settings(MAILERS=mailers):
        [message] = checks.check_email_timeout()
    assert "MAILERS['bulk']" in str(message.hint)
    mailers["bulk"]["OPTIONS"]["timeout"] = 5
    with override_settings(MAILERS=mailers):
        assert checks.check_email_timeout() == []


@pytest.mark.parametrize(
    "middleware",
    [
        ["django.middleware.common.CommonMiddleware"],
        ["django.middleware.common.CommonMiddleware", checks.MIDDLEWARE_PATH],
    ],
)
def test_w006_probe_middleware_missing_or_late(middleware: list[str]) -> None:
    with override_settings(MIDDLEWARE=middleware):
        [message] = checks.check_probe_middleware()
    assert message.id == "moa_ops.W006"


def test_w007_urls_not_included() -> None:
    with override_settings(ROOT_URLCONF="tests.urls_without_probes"):
        [message] = checks.check_probe_urls()
    assert message.id == "moa_ops.W007"
    assert checks.check_probe_urls() == []


@pytest.mark.parametrize("value", [0, -1, "5", True, None])
def test_e001_bad_timeouts(value: object) -> None:
    with override_settings(MOA_OPS_CHECK_TIMEOUT=value):
        [message] = checks.check_settings()
    assert message.id == "moa_ops.E001"
    assert repr(value) in message.msg


def test_e002_bad_drain_file() -> None:
    with override_settings(MOA_OPS_DRAIN_FILE=42):
        [message] = checks.check_settings()
    assert message.id == "moa_ops.E002"
    with override_settings(MOA_OPS_DRAIN_FILE=Path("/tmp/x")):
        assert checks.check_settings() == []


@pytest.mark.parametrize("value", ["default", ["nope"]])
def test_e003_unknown_aliases(value: object) -> None:
    with override_settings(MOA_OPS_CACHES=value):
        [message] = checks.check_settings()
    assert message.id == "moa_ops.E003"


@pytest.mark.filterwarnings("ignore:The EMAIL_:Warning")  # deprecated on Django 6.1
def test_ids_unique_short_and_documented() -> None:
    """Ids are unique, messages fit 80 columns, and the docs page lists every id."""
    source = Path(checks.__file__).read_text()
    found = re.findall(r'id="(moa_ops\.[EW]\d{3})"', source)
    assert len(found) == len(set(found))
    docs = Path(__file__).resolve().parents[3] / "docs" / "ops.md"
    if docs.exists():  # absent when testing an installed wheel outside the repo
        text = docs.read_text()
        assert [i for i in found if i not in text] == []
    with override_settings(
        SECURE_SSL_REDIRECT=True,
        SECURE_PROXY_SSL_HEADER=None,
        DEBUG=False,
        MIDDLEWARE=[],
        INSTALLED_APPS=["channels"],
        EMAIL_BACKEND=SMTP,
        EMAIL_TIMEOUT=None,
    ):
        messages = [
            *checks.check_proxy_ssl_header(),
            *checks.check_daphne_for_channels(),
            *checks.check_in_memory_channel_layer(),
            *checks.check_email_timeout(),
            *checks.check_probe_middleware(),
        ]
    assert len(messages) == 5
    assert all(len(message.msg) < 80 for message in messages)
