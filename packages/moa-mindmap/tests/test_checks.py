from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import override_settings

from moa_mindmap import checks
from moa_mindmap.conf import Settings
from moa_testsupport.checks import assert_check_ids

DOCS_PAGE = Path(__file__).resolve().parents[3] / "docs" / "reference" / "mindmap.md"

REDIS = "channels_redis.core.RedisChannelLayer"


def ids(messages: list) -> list[str]:
    return [message.id for message in messages]


def test_default_settings_pass():
    """The tests' settings raise nothing."""
    assert checks.check_settings() == []
    assert checks.check_permission() == []
    assert checks.check_redis_channel_layer() == []


@pytest.mark.parametrize("value", [0, -1, 1.5, "10", True])
def test_e001_limits_must_be_positive_integers(value):
    with override_settings(MOA_MINDMAP_MAX_NODES=value):
        [error] = checks.check_settings()
    assert error.id == "moa_mindmap.E001"
    assert error.msg == f"MOA_MINDMAP_MAX_NODES must be a positive integer, not {value!r}."


@pytest.mark.parametrize("value", [0, -0.1, "1", None])
def test_e002_intervals_must_be_positive_seconds(value):
    with override_settings(MOA_MINDMAP_CURSOR_INTERVAL=value):
        [error] = checks.check_settings()
    assert error.id == "moa_mindmap.E002"


@pytest.mark.parametrize("value", ["nowhere.hook", "moa_mindmap.conf", 42])
def test_e003_permission_must_be_an_importable_callable(value):
    with override_settings(MOA_MINDMAP_PERMISSION=value):
        [error] = checks.check_permission()
    assert error.id == "moa_mindmap.E003"
    assert len(error.msg) < 80 or isinstance(value, str)


def test_w001_redis_layer_without_socket_timeout():
    """A Redis layer whose reads time out at redis-py's 5 s default is flagged."""
    layers = {"default": {"BACKEND": REDIS, "CONFIG": {"hosts": ["redis://r:6379"]}}}
    with override_settings(CHANNEL_LAYERS=layers):
        [warning] = checks.check_redis_channel_layer()
    assert warning.id == "moa_mindmap.W001"
    assert warning.msg == "Channel layer 'default' may drop idle WebSockets."


def test_w001_passes_with_the_recommended_layer():
    from moa_mindmap.layers import redis_channel_layer

    with override_settings(CHANNEL_LAYERS={"default": redis_channel_layer("redis://r")}):
        assert checks.check_redis_channel_layer() == []


@pytest.mark.django_db
def test_checks_are_registered():
    """``manage.py check`` runs moa-mindmap's checks."""
    from django.core.management.base import SystemCheckError

    with (
        override_settings(MOA_MINDMAP_MAX_NODES=0),
        pytest.raises(SystemCheckError, match=r"moa_mindmap\.E001"),
    ):
        call_command("check")


def test_ids_are_constants_documented_on_the_docs_page():
    """Every id constant is unique and on docs/reference/mindmap.md, which lists no other."""
    assert_check_ids(checks, DOCS_PAGE)


def test_no_inline_ids():
    """Messages use the id constants, so an id is written once."""
    assert re.findall(r'id="moa_mindmap\.', Path(checks.__file__).read_text()) == []


def test_e003_an_explicit_none_is_no_permission_hook():
    """``MOA_MINDMAP_PERMISSION = None`` is an error at check time, not a TypeError per socket."""
    with override_settings(MOA_MINDMAP_PERMISSION=None):
        assert ids(checks.check_permission()) == [checks.BAD_PERMISSION_ID]


@pytest.mark.parametrize("name", [*checks.POSITIVE_INTEGERS, *checks.POSITIVE_SECONDS])
def test_checks_validate_the_value_conf_resolves(name, monkeypatch):
    """The check validates what ``conf`` hands the code, defaults included: one source."""
    monkeypatch.setattr(Settings, name, property(lambda self: 0))
    [error] = checks.check_settings()
    assert name in error.msg


@pytest.mark.parametrize(
    "check",
    [
        checks.check_settings,
        checks.check_permission,
        checks.check_redis_channel_layer,
        checks.check_server_frame_limit,
    ],
)
def test_checks_honour_app_configs(check):
    """``check auth`` leaves moa-mindmap's configuration out; ``check moa_mindmap`` reports it."""
    from django.apps import apps

    layers = {"default": {"BACKEND": REDIS, "CONFIG": {"hosts": ["redis://r:6379"]}}}
    with override_settings(
        MOA_MINDMAP_MAX_NODES=0,
        MOA_MINDMAP_PERMISSION="nowhere.hook",
        CHANNEL_LAYERS=layers,
        MOA_MINDMAP_SERVER_MAX_FRAME_BYTES=None,
    ):
        assert check(app_configs=[apps.get_app_config("auth")]) == []
        assert len(check(app_configs=[apps.get_app_config("moa_mindmap")])) == 1


def test_deploy_check_is_tagged_security():
    """``check --deploy --tag security`` runs the frame limit check."""
    from django.core.checks import Tags, run_checks

    with override_settings(MOA_MINDMAP_SERVER_MAX_FRAME_BYTES=None):
        found = ids(run_checks(tags=[Tags.security], include_deployment_checks=True))
    assert checks.FRAME_LIMIT_UNKNOWN_ID in found


def test_server_frame_limit_check_honours_app_configs():
    """``check --deploy`` for other apps only does not run moa-mindmap's frame check."""
    from django.apps import apps

    assert checks.check_server_frame_limit(app_configs=[apps.get_app_config("auth")]) == []


@pytest.mark.parametrize("value", ["32768", 1.5, True])
def test_w002_a_limit_that_is_not_a_number_of_bytes_is_unknown(value):
    with override_settings(MOA_MINDMAP_SERVER_MAX_FRAME_BYTES=value):
        assert ids(checks.check_server_frame_limit()) == ["moa_mindmap.W002"]


def test_w003_and_w004_messages_fit_80_characters():
    for value in (16 * 1024 * 1024, 1):
        with override_settings(MOA_MINDMAP_SERVER_MAX_FRAME_BYTES=value):
            [warning] = checks.check_server_frame_limit()
        assert len(warning.msg) < 80, warning.msg
