"""Look-alikes of an N+1 that the detector must let through, or say how to mark."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.utils.functional import SimpleLazyObject

from moa_queries import NPlusOneError, count_queries, detect
from tests.testapp.models import Note, Person, Team

pytestmark = pytest.mark.django_db

MakeTeams = Callable[[int], list[Team]]


@pytest.mark.parametrize("manager", ["plain", "objects"])
def test_generic_foreign_key_that_is_null_on_every_row(manager: str) -> None:
    """An empty generic foreign key costs no query, so reading it per row is no N+1."""
    for i in range(3):
        Note.objects.create(text=f"n{i}")
    with detect("raise"), count_queries() as queries:
        targets = [note.target for note in getattr(Note, manager).all()]
    assert targets == [None, None, None]
    assert queries.count == 1


def _monthly_counts() -> list[int]:
    return [Team.plain.filter(name__endswith=str(month)).count() for month in range(1, 13)]


def each_team_counts_its_months() -> None:
    for team in Team.plain.all():
        assert team.name
        _monthly_counts()


def test_a_fixed_number_of_queries_is_no_n_plus_one(make_teams: MakeTeams) -> None:
    """Twelve monthly counts run a fixed number of times: no loop over rows runs them."""
    make_teams(2)
    with detect("raise") as session:
        assert len(_monthly_counts()) == 12
    assert session is not None
    assert session.reports == []


def test_a_fixed_number_of_queries_in_a_loop_over_rows_is_reported(
    make_teams: MakeTeams,
) -> None:
    """The same counts run once per row of a result grow with the rows, and are reported."""
    make_teams(2)
    with pytest.raises(NPlusOneError, match="Repeated queries"), detect("raise"):
        each_team_counts_its_months()


def test_without_row_tracking_the_message_says_how_to_mark_the_site(
    make_teams: MakeTeams, settings: object, caplog: pytest.LogCaptureFixture
) -> None:
    """In production log mode rows are not tracked: the repetition is logged, with the fix."""
    settings.DEBUG = False  # type: ignore[attr-defined]
    make_teams(2)
    with caplog.at_level("WARNING", logger="moa_queries"), detect("log"):
        _monthly_counts()
    [message] = [record.getMessage() for record in caplog.records]
    assert "If it runs a fixed number of times, not once per row" in message
    site = message.split(", last at ")[1].split(": ")[0]
    assert f'{{"site": "{site}"}}' in message
    caplog.clear()
    with (
        caplog.at_level("WARNING", logger="moa_queries"),
        detect("log", whitelist=[{"site": site}]),
    ):
        assert len(_monthly_counts()) == 12
    assert caplog.records == []


def test_a_loop_building_filter_dicts_is_no_per_row_query(make_teams: MakeTeams) -> None:
    """A dict of filters built per iteration is not a row of a result."""
    make_teams(2)
    with detect("raise", threshold=None) as session:
        for month in range(1, 4):
            lookups = {"name__endswith": str(month), "motto": "x"}
            Team.plain.filter(**lookups).exists()
    assert session is not None
    assert session.reports == []


def test_a_lazy_local_is_left_unevaluated(make_teams: MakeTeams) -> None:
    """A lazy object beside a query (request.user in a view) is not set up by the detector."""
    make_teams(2)
    calls: list[int] = []

    def load() -> Person | None:
        calls.append(1)
        return Person.plain.first()

    user = SimpleLazyObject(load)
    with detect("raise", threshold=None):
        assert Team.plain.filter(name="team0").exists()
    assert calls == []
    assert user is not None
