from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.testapp.models import Person, Profile, Team


@pytest.fixture
def make_teams(db: None) -> Callable[[int], list[Team]]:
    """Create ``n`` teams, each with its own host, profile and two members."""

    def make(n: int) -> list[Team]:
        teams = []
        for i in range(n):
            host = Person.objects.create(name=f"host{i}")
            Profile.objects.create(person=host, city=f"city{i}")
            team = Team.objects.create(name=f"team{i}", host=host)
            team.members.add(
                Person.objects.create(name=f"a{i}"), Person.objects.create(name=f"b{i}")
            )
            teams.append(team)
        return teams

    return make
