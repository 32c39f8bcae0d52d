"""System checks: one test per id, and their registration."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core.checks import Error, Warning
from django.core.management import call_command
from django.db import models
from django.test.utils import isolate_apps

from moa_queries import SafeManager, checks
from moa_queries.checks import (
    _check_model_defaults,
    check_query_defaults,
    check_raise_in_production,
    check_settings,
)
from moa_testsupport.checks import assert_check_ids

DOCS_PAGE = Path(__file__).resolve().parents[3] / "docs" / "reference" / "queries.md"


def ids(messages: list[object]) -> list[str]:
    return [message.id for message in messages]  # type: ignore[attr-defined]


def test_valid_settings_pass() -> None:
    """The test settings raise no check message."""
    assert check_settings() == []


def test_e001_unknown_mode(settings: object) -> None:
    """An unknown mode is an error naming the valid ones."""
    settings.MOA_QUERIES_NPLUSONE_MODE = "loud"  # type: ignore[attr-defined]
    assert check_settings() == [
        Error(
            "MOA_QUERIES_NPLUSONE_MODE is 'loud', not a known mode.",
            hint="Set it to 'raise', 'warn', 'log' or 'off'.",
            id="moa_queries.E001",
        )
    ]


@pytest.mark.parametrize(
    ("whitelist", "message"),
    [
        ({"model": "x"}, "MOA_QUERIES_NPLUSONE_WHITELIST must be a list, not {'model': 'x'}."),
        (["host"], "Whitelist entry 'host' is not a dict of model/field/site."),
        ([{"model": 3}], "Whitelist entry {'model': 3} has a value that is not a string."),
        ([{"model": "testapp.Nope"}], "Whitelist entry names an unknown model 'testapp.Nope'."),
        (
            [{"model": "testapp.Team", "field": "hots"}],
            "Whitelist entry: testapp.Team has no field or relation 'hots'.",
        ),
    ],
)
def test_e002_bad_whitelist(settings: object, whitelist: object, message: str) -> None:
    """A malformed whitelist, an unknown model or field is an error."""
    settings.MOA_QUERIES_NPLUSONE_WHITELIST = whitelist  # type: ignore[attr-defined]
    errors = check_settings()
    assert ids(errors) == ["moa_queries.E002"]
    assert errors[0].msg == message
    assert len(message) < 80


def test_whitelist_accepts_reverse_accessors(settings: object) -> None:
    """Reverse accessors and attnames are known fields."""
    settings.MOA_QUERIES_NPLUSONE_WHITELIST = [  # type: ignore[attr-defined]
        {"model": "testapp.Person", "field": "hosted_teams"},
        {"model": "testapp.Team", "field": "host_id"},
        {"site": "legacy/*"},
    ]
    assert check_settings() == []


@pytest.mark.parametrize("threshold", [1, "10", True, 2.5])
def test_e003_bad_threshold(settings: object, threshold: object) -> None:
    """A threshold that is not an int of 2 or more is an error."""
    settings.MOA_QUERIES_REPEATED_QUERY_THRESHOLD = threshold  # type: ignore[attr-defined]
    assert ids(check_settings()) == ["moa_queries.E003"]


def test_threshold_none_is_valid(settings: object) -> None:
    """None turns the repeated-query check off and is valid."""
    settings.MOA_QUERIES_REPEATED_QUERY_THRESHOLD = None  # type: ignore[attr-defined]
    assert check_settings() == []


@isolate_apps("tests.testapp")
def test_e004_bad_query_defaults() -> None:
    """QueryDefaults naming a missing or wrong-kind relation is an error."""

    class Owner(models.Model):
        class Meta:
            app_label = "testapp"

    class Pet(models.Model):
        owner = models.ForeignKey(Owner, models.CASCADE)
        friends = models.ManyToManyField("self")

        objects = SafeManager()

        class Meta:
            app_label = "testapp"

        class QueryDefaults:
            select_related = ("owner", "onwer", "friends")
            prefetch_related = ("friends", "owner__pet_set", "enemies")

    class Bad(models.Model):
        class Meta:
            app_label = "testapp"

        class QueryDefaults:
            select_related = "owner"

    errors = _check_model_defaults(Pet) + _check_model_defaults(Bad)
    assert set(ids(errors)) == {"moa_queries.E004"}
    messages = [error.msg for error in errors]
    assert messages == [
        "testapp.Pet.QueryDefaults.select_related: bad relation 'onwer'.",
        "testapp.Pet.QueryDefaults.select_related: bad relation 'friends'.",
        "testapp.Pet.QueryDefaults.prefetch_related: bad lookup 'enemies'.",
        "testapp.Bad.QueryDefaults lists relations in a string.",
    ]


def test_valid_query_defaults_pass() -> None:
    """The test app's Club declares valid defaults."""
    assert check_query_defaults() == []


def test_w001_raise_mode_in_production(settings: object) -> None:
    """raise mode is flagged by the deploy check; other modes are not."""
    assert ids(check_raise_in_production()) == ["moa_queries.W001"]
    assert isinstance(check_raise_in_production()[0], Warning)
    settings.MOA_QUERIES_NPLUSONE_MODE = "log"  # type: ignore[attr-defined]
    assert check_raise_in_production() == []


def test_checks_are_registered(settings: object) -> None:
    """manage.py check runs the checks and fails on an error."""
    from django.core.management.base import SystemCheckError

    call_command("check")
    settings.MOA_QUERIES_NPLUSONE_MODE = "loud"  # type: ignore[attr-defined]
    with pytest.raises(SystemCheckError, match=r"moa_queries\.E001"):
        call_command("check")


def test_deploy_check_is_registered() -> None:
    """check --deploy includes moa_queries.W001."""
    from io import StringIO

    out = StringIO()
    call_command("check", "--deploy", stdout=out, stderr=out)
    assert "moa_queries.W001" in out.getvalue()


def test_ids_are_constants_documented_on_the_docs_page() -> None:
    """Every id constant is unique and on docs/reference/queries.md, which lists no other."""
    assert_check_ids(checks, DOCS_PAGE)


def test_no_inline_ids() -> None:
    """Messages use the id constants, so an id is written once."""
    assert re.findall(r'id="moa_queries\.', Path(checks.__file__).read_text()) == []


def test_checks_honour_app_configs(settings: object) -> None:
    """``check auth`` leaves moa-queries' settings out; ``check moa_queries`` reports them."""
    from django.apps import apps

    settings.MOA_QUERIES_NPLUSONE_MODE = "raise"  # type: ignore[attr-defined]
    settings.MOA_QUERIES_REPEATED_QUERY_THRESHOLD = 1  # type: ignore[attr-defined]
    auth = [apps.get_app_config("auth")]
    queries = [apps.get_app_config("moa_queries")]
    own = (check_settings, check_raise_in_production)
    assert [message for check in own for message in check(app_configs=auth)] == []
    assert ids([message for check in own for message in check(app_configs=queries)]) == [
        checks.BAD_THRESHOLD_ID,
        checks.RAISE_IN_PRODUCTION_ID,
    ]
