"""Every system check id: when it fires, its message and its hint."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.apps import apps
from django.core.checks import CheckMessage, Tags, run_checks
from django.core.management import call_command
from django.test import override_settings

from moa_ops import checks, probes
from moa_ops.conf import Settings
from moa_testsupport.checks import assert_check_ids
from moa_testsupport.mail import MAILER_TIMEOUT_CASES, configure_mail

DOCS_PAGE = Path(__file__).resolve().parents[3] / "docs" / "reference" / "ops.md"

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


@pytest.mark.parametrize(
    "installed",
    [
        ["django.contrib.staticfiles", "daphne", "channels"],
        ["django.contrib.staticfiles", "moa_ops.devserver", "channels"],
        ["django.contrib.contenttypes", "channels"],
    ],
)
def test_w002_channels_with_runserver_that_is_not_daphnes(installed) -> None:
    """Another app's runserver comes first (or Django's own): WebSockets would get 404."""
    with override_settings(INSTALLED_APPS=installed):
        [message] = checks.check_daphne_for_channels()
    assert message.id == "moa_ops.W002"
    assert message.msg == "Channels is configured but runserver would answer WebSockets with 404."
    assert "'moa_ops.devserver'" in str(message.hint)


@pytest.mark.parametrize(
    "installed",
    [
        ["daphne", "django.contrib.staticfiles", "channels"],
        ["moa_ops.devserver", "django.contrib.staticfiles", "channels"],
    ],
)
def test_w002_quiet_when_runserver_is_daphnes(installed) -> None:
    with override_settings(INSTALLED_APPS=installed, ASGI_APPLICATION="x.asgi.app"):
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


@pytest.mark.filterwarnings("ignore:The EMAIL_")  # deprecated on Django 6.1
@pytest.mark.parametrize(("values", "expected"), MAILER_TIMEOUT_CASES)
def test_w005_is_the_rule_moa_signup_applies(
    settings: object, values: dict[str, object], expected: list[str]
) -> None:
    """The mailers without a positive timeout, by the cases moa_signup.E001 is tested on too."""
    configure_mail(settings, values)
    assert list(checks.mailers_without_timeout()) == expected
    assert len(checks.check_email_timeout()) == (1 if expected else 0)


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


def test_ids_are_constants_documented_on_the_docs_page() -> None:
    """Every id constant is unique and on docs/reference/ops.md, which lists no other."""
    assert_check_ids(checks, DOCS_PAGE)


def test_no_inline_ids() -> None:
    """Messages use the id constants, so an id is written once."""
    assert re.findall(r'id="moa_ops\.', Path(checks.__file__).read_text()) == []


@pytest.mark.filterwarnings("ignore:The EMAIL_:Warning")  # deprecated on Django 6.1
def test_messages_fit_80_columns() -> None:
    """Every message is shorter than 80 characters."""
    with override_settings(
        SECURE_SSL_REDIRECT=True,
        SECURE_PROXY_SSL_HEADER=None,
        DEBUG=False,
        MIDDLEWARE=[],
        INSTALLED_APPS=["channels"],
        EMAIL_BACKEND=SMTP,
        EMAIL_TIMEOUT=None,
        MOA_OPS_DATABASES=["default"],
        MOA_OPS_CACHES=["default"],
        MOA_OPS_CHECK_CHANNEL_LAYER=True,
        MOA_OPS_CHECK_MIGRATIONS=True,
    ):
        messages = [
            *checks.check_proxy_ssl_header(),
            *checks.check_daphne_for_channels(),
            *checks.check_in_memory_channel_layer(),
            *checks.check_email_timeout(),
            *checks.check_probe_middleware(),
            *checks.check_deprecated_settings(),
        ]
    assert len(messages) == 6
    assert all(len(message.msg) < 80 for message in messages)


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("MOA_OPS_DATABASES", ["default"]),
        ("MOA_OPS_CACHES", ["default"]),
        ("MOA_OPS_CHECK_CHANNEL_LAYER", False),
        ("MOA_OPS_CHECK_MIGRATIONS", True),
    ],
)
def test_w008_selection_settings_are_deprecated(setting: str, value: object) -> None:
    """Each of the four selection settings, set, warns with the way to ``checks=``."""
    with override_settings(**{setting: value}):
        [message] = checks.check_deprecated_settings()
        assert message.id == "moa_ops.W008"
        assert setting in str(message.hint)
        assert "checks=" in str(message.hint)
        assert "moa_ops.W008" in ids(run_checks())
    assert checks.check_deprecated_settings() == []


def test_deploy_checks_are_tagged_security() -> None:
    """``check --deploy --tag security`` runs moa-ops' deploy checks."""
    with override_settings(SECURE_SSL_REDIRECT=True, SECURE_PROXY_SSL_HEADER=None):
        found = ids(run_checks(tags=[Tags.security], include_deployment_checks=True))
    assert "moa_ops.W001" in found


@override_settings(
    MIDDLEWARE=[],
    MOA_OPS_CHECK_TIMEOUT=0,
    ROOT_URLCONF="tests.urls_without_probes",
    MOA_OPS_CHECK_MIGRATIONS=True,
)
def test_checks_of_moa_ops_config_honour_app_configs() -> None:
    """``check auth`` leaves out moa-ops' own configuration; ``check moa_ops`` reports it."""
    auth = [apps.get_app_config("auth")]
    ops = [apps.get_app_config("moa_ops")]
    own = (
        checks.check_settings,
        checks.check_deprecated_settings,
        checks.check_probe_middleware,
        checks.check_probe_urls,
    )
    assert [message for check in own for message in check(app_configs=auth)] == []
    assert len([message for check in own for message in check(app_configs=ops)]) == 4


def test_w007_leaves_the_middlewares_cache_alone() -> None:
    """Running the URL check does not throw away the paths the middleware remembers."""
    probes.probe_route("/health/live/")
    cached = probes._probe_routes.cache_info().currsize
    assert cached > 0
    assert checks.check_probe_urls() == []
    assert probes._probe_routes.cache_info().currsize == cached


@pytest.mark.parametrize("name", ["MOA_OPS_DRAIN_TIMEOUT", "MOA_OPS_CHECK_TIMEOUT"])
def test_e001_validates_the_value_conf_resolves(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The check validates what ``conf`` hands the code, defaults included: one source."""
    monkeypatch.setattr(Settings, name, property(lambda self: 0))
    [message] = checks.check_settings()
    assert message.id == "moa_ops.E001"
