"""SafeQuerySet peer-fetches rows of raw() and first()/last() of related managers."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from moa_queries import count_queries
from tests.testapp.models import Person, Team

pytestmark = pytest.mark.django_db

MakeTeams = Callable[[int], list[Team]]
RAW = "SELECT * FROM testapp_team ORDER BY id"


def test_raw_rows_are_peer_loaded(make_teams: MakeTeams) -> None:
    """team.host and team.members per raw() row cost one query each for the list."""
    make_teams(4)
    with count_queries() as queries:
        rows = [(team.host.name, team.members.count()) for team in Team.objects.raw(RAW)]
    assert rows == [(f"host{i}", 2) for i in range(4)]
    assert queries.count == 3


def test_raw_rows_keep_peers_through_using(make_teams: MakeTeams) -> None:
    """raw(...).using("default") is still a SafeQuerySet result."""
    make_teams(3)
    with count_queries() as queries:
        hosts = [team.host.name for team in Team.objects.raw(RAW).using("default")]
    assert hosts == ["host0", "host1", "host2"]
    assert queries.count == 2


def test_raw_rows_without_peers_load_one_at_a_time(make_teams: MakeTeams) -> None:
    """without_peers().raw() opts out like without_peers() does."""
    make_teams(3)
    with count_queries() as queries:
        [team.host.name for team in Team.objects.without_peers().raw(RAW)]
    assert queries.count == 4


@pytest.mark.parametrize("method", ["first", "last"])
def test_first_and_last_of_a_related_manager_are_peer_loaded(
    make_teams: MakeTeams, method: str
) -> None:
    """team.members.first() per row costs one query for the list, same rows as Django."""
    make_teams(4)
    expected = [getattr(team.members, method)() for team in Team.plain.order_by("pk")]
    with count_queries() as queries:
        found = [getattr(team.members, method)() for team in Team.objects.order_by("pk")]
    assert found == expected
    assert queries.count == 2


def test_first_of_an_ordered_relation_follows_the_ordering(make_teams: MakeTeams) -> None:
    """first() after order_by() on the manager is a query of its own, as ordered."""
    make_teams(2)
    names = [team.members.order_by("-name").first() for team in Team.objects.all()]
    assert [person.name for person in names if isinstance(person, Person)] == ["b0", "b1"]
