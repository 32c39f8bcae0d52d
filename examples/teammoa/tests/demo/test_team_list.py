"""The team list: host and member count per team in constant queries (incident 8)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from moa_queries import NPlusOneError, assert_constant_queries, detect

from teams.models import Team

pytestmark = pytest.mark.django_db


def make_teams(count: int) -> None:
    user_model = get_user_model()
    for i in range(count):
        host = user_model.objects.create(username=f"host{i}", email=f"host{i}@example.com")
        member = user_model.objects.create(username=f"member{i}", email=f"m{i}@example.com")
        Team.objects.create(name=f"team{i}", host=host).members.add(host, member)


def test_team_list_runs_constant_queries(client: Client) -> None:
    """One team or twenty: the page's query count does not grow with the rows."""
    assert_constant_queries(make_teams, lambda: client.get("/teams/"), sizes=(1, 5, 20))


def test_team_list_shows_host_and_member_count(client: Client) -> None:
    make_teams(3)
    with detect("raise"):
        page = client.get("/teams/").content.decode()
    assert "<td>team2</td><td>host2</td><td>2</td>" in page


def test_naive_loop_is_caught() -> None:
    """Without the defaults, the postmortem's loop is reported as an N+1."""
    make_teams(3)

    def naive_hosts() -> list[str]:
        return [team.host.username for team in Team.objects.without_defaults().without_peers()]

    with pytest.raises(NPlusOneError, match="host"), detect("raise"):
        naive_hosts()
