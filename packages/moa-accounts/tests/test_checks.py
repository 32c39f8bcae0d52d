"""Every system check id: when it fires, its message and its hint."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core.checks import run_checks
from django.core.management import call_command
from django.test import override_settings

from moa_accounts import checks
from moa_accounts.conf import Settings
from moa_accounts.constraints import LiveUniqueConstraint
from moa_accounts.models import User
from moa_testsupport.checks import assert_check_ids

DOCS_PAGE = Path(__file__).resolve().parents[3] / "docs" / "reference" / "accounts.md"


def test_checks_registered_and_clean() -> None:
    call_command("check", fail_level="WARNING")
    with override_settings(MOA_ACCOUNTS_BATCH_SIZE=0):
        assert "moa_accounts.E002" in [str(m.id) for m in run_checks()]


@pytest.mark.parametrize("value", [0, -1, "3", 2.5, True, None])
@pytest.mark.parametrize(
    "name", ["MOA_ACCOUNTS_UNVERIFIED_USER_DAYS", "MOA_ACCOUNTS_DELETED_USER_DAYS"]
)
def test_e001_bad_days(name: str, value: object) -> None:
    with override_settings(**{name: value}):
        [message] = checks.check_settings()
    assert message.id == "moa_accounts.E001"
    assert message.msg == f"{name} must be a positive integer, not {value!r}."
    assert name in str(message.hint)


def test_e002_bad_batch_size() -> None:
    with override_settings(MOA_ACCOUNTS_BATCH_SIZE="1000"):
        [message] = checks.check_settings()
    assert message.id == "moa_accounts.E002"
    assert message.msg == "MOA_ACCOUNTS_BATCH_SIZE must be a positive integer, not '1000'."


def test_settings_defaults_are_valid() -> None:
    assert checks.check_settings() == []


@pytest.mark.parametrize("value", [0, -1, "5", 2.5, True, None])
@pytest.mark.parametrize("name", checks.LOGIN_SETTINGS)
def test_e005_bad_login_limits(name: str, value: object) -> None:
    with override_settings(**{name: value}):
        [message] = checks.check_settings()
    assert message.id == "moa_accounts.E005"
    assert message.msg == f"{name} is not a positive integer."
    assert message.hint is not None
    assert message.hint.startswith(f"It is {value!r}: set {name} to a")


def test_e006_unknown_cache() -> None:
    with override_settings(MOA_ACCOUNTS_CACHE="throttle"):
        [message] = checks.check_settings()
    assert message.id == "moa_accounts.E006"
    assert message.msg == "MOA_ACCOUNTS_CACHE names no cache in CACHES."
    assert message.hint == "It is 'throttle': set it to a key of CACHES, such as 'default'."


def test_w001_login_not_throttled_at_deploy() -> None:
    """``check --deploy`` warns when no backend throttles failed logins."""
    assert checks.check_login_throttled() == []
    backends = ["nope.Backend", "django.contrib.auth.backends.ModelBackend"]
    with override_settings(AUTHENTICATION_BACKENDS=backends):
        [message] = checks.check_login_throttled()
        assert message.id == "moa_accounts.W001"
        assert "moa_accounts.backends.ThrottledModelBackend" in str(message.hint)
        deploy = run_checks(include_deployment_checks=True)
        assert "moa_accounts.W001" in [message.id for message in deploy]
    assert "moa_accounts.W001" not in [m.id for m in run_checks()]  # a deploy check only


def test_e003_user_model_without_live_constraints(monkeypatch: pytest.MonkeyPatch) -> None:
    kept = [c for c in User._meta.constraints if c.fields != ("email",)]
    monkeypatch.setattr(User._meta, "constraints", kept)
    [message] = checks.check_user_model()
    assert message.id == "moa_accounts.E003"
    assert message.msg == "moa_accounts.User lacks live-unique constraints: email."
    assert "AbstractSoftDeleteUser.Meta.constraints" in str(message.hint)


def test_e003_quiet_for_other_user_models() -> None:
    with override_settings(AUTH_USER_MODEL="auth.User"):
        assert checks.check_user_model() == []
    with override_settings(AUTH_USER_MODEL="nope.Nope"):
        assert checks.check_user_model() == []


def test_ids_are_constants_documented_on_the_docs_page() -> None:
    """Every id constant is unique and on docs/reference/accounts.md, which lists no other."""
    assert_check_ids(checks, DOCS_PAGE)


def test_no_inline_ids() -> None:
    """Messages use the id constants, so an id is written once."""
    assert re.findall(r'id="moa_accounts\.', Path(checks.__file__).read_text()) == []


def test_messages_fit_80_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every message is shorter than 80 characters."""
    monkeypatch.setattr(User._meta, "constraints", [])
    with override_settings(
        MOA_ACCOUNTS_UNVERIFIED_USER_DAYS=-100000,
        MOA_ACCOUNTS_BATCH_SIZE=-1000000,
        MOA_ACCOUNTS_LOGIN_FAILURES_PER_ACCOUNT_AND_CLIENT=-1000000,
        MOA_ACCOUNTS_CACHE="a-cache-alias-nobody-has-configured",
        AUTHENTICATION_BACKENDS=["django.contrib.auth.backends.ModelBackend"],
    ):
        messages = [
            *checks.check_settings(),
            *checks.check_user_model(),
            *checks.check_login_throttled(),
        ]
    assert len(messages) == 6
    assert all(len(message.msg) < 80 for message in messages)


def test_constraint_is_refused_where_no_mechanism_exists() -> None:
    """A backend with neither partial indexes nor generated columns gets a clear error."""
    from types import SimpleNamespace

    from django.db import NotSupportedError

    editor = SimpleNamespace(
        connection=SimpleNamespace(
            vendor="oracle",
            features=SimpleNamespace(
                supports_partial_indexes=False, supports_expression_indexes=True
            ),
        )
    )
    constraint = LiveUniqueConstraint(fields=["email"], name="x")
    with pytest.raises(NotSupportedError, match="needs partial unique indexes"):
        constraint.create_sql(User, editor)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "name", [*checks.DAY_SETTINGS, "MOA_ACCOUNTS_BATCH_SIZE", *checks.LOGIN_SETTINGS]
)
def test_checks_validate_the_value_conf_resolves(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check validates what ``conf`` hands the code, defaults included: one source."""
    monkeypatch.setattr(Settings, name, property(lambda self: 0))
    [message] = checks.check_settings()
    assert name in message.msg


@override_settings(
    MOA_ACCOUNTS_BATCH_SIZE=0,
    AUTHENTICATION_BACKENDS=["django.contrib.auth.backends.ModelBackend"],
)
def test_checks_honour_app_configs(monkeypatch: pytest.MonkeyPatch) -> None:
    """``check auth`` leaves moa-accounts' configuration out; ``check moa_accounts`` reports it."""
    from django.apps import apps

    monkeypatch.setattr(User._meta, "constraints", [])
    auth = [apps.get_app_config("auth")]
    accounts = [apps.get_app_config("moa_accounts")]
    own = (checks.check_settings, checks.check_login_throttled, checks.check_user_model)
    assert [message for check in own for message in check(app_configs=auth)] == []
    assert [message.id for check in own for message in check(app_configs=accounts)] == [
        checks.BAD_BATCH_SIZE_ID,
        checks.LOGIN_NOT_THROTTLED_ID,
        checks.LIVE_CONSTRAINTS_MISSING_ID,
    ]


def test_deploy_check_is_tagged_security() -> None:
    """``check --deploy --tag security`` runs the login throttle check."""
    from django.core.checks import Tags

    with override_settings(AUTHENTICATION_BACKENDS=["django.contrib.auth.backends.ModelBackend"]):
        found = [m.id for m in run_checks(tags=[Tags.security], include_deployment_checks=True)]
    assert checks.LOGIN_NOT_THROTTLED_ID in found
