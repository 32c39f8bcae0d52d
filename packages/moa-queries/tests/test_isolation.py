"""SafeQuerySet changes nothing for querysets that did not opt in, in any process."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import models

from moa_queries import count_queries
from moa_queries.peers import FETCH_MODES
from tests.fresh_process import run_in_fresh_process
from tests.testapp.models import Team

pytestmark = pytest.mark.django_db

MakeTeams = Callable[[int], list[Team]]


def _plain_peer_counts() -> tuple[list[int], int]:
    queryset = Team.plain.fetch_mode(models.FETCH_PEERS) if FETCH_MODES else Team.plain.all()
    with count_queries() as queries:
        counts = [team.members.count() for team in queryset]
    return counts, queries.count


def test_plain_peer_managers_behave_as_stock_django(make_teams: MakeTeams) -> None:
    """A plain FETCH_PEERS queryset runs 1 + N counts before and after SafeQuerySet use."""
    make_teams(4)
    before = _plain_peer_counts()
    assert [sorted(m.name for m in team.members.all()) for team in Team.objects.all()]
    after = _plain_peer_counts()
    assert before == after == ([2, 2, 2, 2], 5)


def test_plain_prefetched_first_runs_its_query_as_in_django(make_teams: MakeTeams) -> None:
    """first() on a plain prefetched row orders by pk in the database, as Django does."""
    make_teams(2)
    assert [len(team.members.all()) for team in Team.objects.all()] == [2, 2]
    with count_queries() as queries:
        firsts = [team.members.first() for team in Team.plain.prefetch_related("members")]
    assert [person.name for person in firsts if person] == ["a0", "a1"]
    assert queries.count == 4


SCRIPT = """
from moa_queries import count_queries
from tests.testapp.models import Person, Profile, Team

for i in range(6):
    host = Person.objects.create(name=f"h{i}")
    Profile.objects.create(person=host, city="c")
    Team.objects.create(name=f"t{i}", host=host)

def measure():
    with count_queries() as queries:
        counts = [p.person.hosted_teams.count() for p in Profile.objects.all()]
    assert counts == [1] * 6, counts
    return queries.count

fresh = measure()
list(Person.objects.all())
print(json.dumps([fresh, measure()]))
"""


def test_peer_managers_cost_the_same_in_a_new_process() -> None:
    """profile.person.hosted_teams.count() per row costs 3 queries, first thing or not."""
    assert run_in_fresh_process(SCRIPT) == [3, 3]
