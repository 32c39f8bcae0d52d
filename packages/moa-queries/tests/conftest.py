from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest
from asgiref.sync import sync_to_async
from django.db import connections

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


@pytest.fixture
async def close_thread_connections() -> AsyncIterator[None]:
    """Close what sync_to_async's worker thread opened, so the test DB can be dropped."""
    yield
    await sync_to_async(connections.close_all)()
