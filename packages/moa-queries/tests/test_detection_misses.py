"""N+1 shapes the detector must catch at 3 rows already."""

from __future__ import annotations

import pickle
import warnings
from collections.abc import Callable

import pytest
from django.db.models import prefetch_related_objects

from moa_queries import NPlusOneError, detect
from tests.testapp.models import Person, Team

pytestmark = pytest.mark.django_db

MakeTeams = Callable[[int], list[Team]]


def test_rows_from_raw_are_tracked(make_teams: MakeTeams) -> None:
    """team.host per row of a raw() query is an N+1."""
    make_teams(3)
    rows = Team.plain.raw("SELECT * FROM testapp_team")
    with pytest.raises(NPlusOneError, match=r"Team\.host"), detect("raise"):
        [team.host.name for team in rows]


def test_rows_of_an_unpickled_queryset_are_tracked(make_teams: MakeTeams) -> None:
    """An evaluated queryset read back from a cache is a result like any other."""
    make_teams(3)
    cached = pickle.dumps(Team.plain.all())
    with pytest.raises(NPlusOneError, match=r"Team\.host"), detect("raise"):
        [team.host.name for team in pickle.loads(cached)]


def test_prefetched_then_filtered_per_row(make_teams: MakeTeams) -> None:
    """Filtering a prefetched relation per row runs one query per row: flagged."""
    make_teams(3)

    def loop() -> None:
        for team in Team.plain.prefetch_related("members"):
            list(team.members.filter(name__startswith="a"))

    with pytest.raises(NPlusOneError, match="once per row"), detect("raise"):
        loop()


def test_exists_per_row(make_teams: MakeTeams) -> None:
    """.exists() per row of a result is flagged at the second row."""
    make_teams(3)

    def loop() -> None:
        for team in Team.plain.all():
            Person.plain.filter(pk=team.host_id).exists()

    with pytest.raises(NPlusOneError, match="once per row"), detect("raise"):
        loop()


def test_get_per_row_of_values(make_teams: MakeTeams) -> None:
    """values() rows, then get() per row, is flagged at the second row."""
    make_teams(3)

    def loop() -> None:
        for row in Team.plain.values("host_id"):
            Person.plain.get(pk=row["host_id"])

    with pytest.raises(NPlusOneError, match="once per row"), detect("raise"):
        loop()


def test_prefetch_related_objects_per_row(make_teams: MakeTeams) -> None:
    """prefetch_related_objects([row], "rel") per row is an N+1 of that relation."""
    make_teams(3)

    def loop() -> None:
        for team in Team.plain.all():
            prefetch_related_objects([team], "members")

    with pytest.raises(NPlusOneError, match=r"Team\.members"), detect("raise"):
        loop()


def test_one_get_per_distinct_value_of_one_row_is_fine(make_teams: MakeTeams) -> None:
    """Two queries driven by one row (not by rows of a result) are no N+1."""
    make_teams(3)
    with detect("raise") as session:
        team = Team.plain.get(name="team0")
        Person.plain.filter(pk=team.host_id).exists()
        Person.plain.filter(pk=team.host_id).exists()
        for team in Team.plain.all():
            team.save()
    assert session is not None
    assert session.reports == []


def test_per_row_query_is_reported_once_and_can_be_whitelisted(make_teams: MakeTeams) -> None:
    """A per-row query is one report per site; a site entry in the whitelist silences it."""
    make_teams(4)

    def loop() -> None:
        for team in Team.plain.all():
            Person.plain.filter(pk=team.host_id).exists()

    with warnings.catch_warnings(record=True), detect("warn") as session:
        warnings.simplefilter("always")
        loop()
    assert session is not None
    assert [report.kind for report in session.reports] == ["row"]
    site = session.reports[0].site
    with detect("raise", whitelist=[{"site": site}]) as quiet:
        loop()
    assert quiet is not None
    assert quiet.reports == []


def test_production_log_mode_without_threshold_watches_nothing(
    make_teams: MakeTeams, caplog: pytest.LogCaptureFixture
) -> None:
    """log mode, DEBUG off and threshold None: nothing to watch, nothing logged."""
    make_teams(3)
    with detect("log", threshold=None) as session:
        [Person.plain.get(pk=team.host_id) for team in Team.plain.all()]
    assert session is not None
    assert session.reports == []
    assert caplog.records == []
