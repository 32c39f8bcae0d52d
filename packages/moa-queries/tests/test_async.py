"""SafeQuerySet and its related managers in async code: no sync I/O in the loop, constant."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from asgiref.sync import sync_to_async

from moa_queries import NPlusOneError, count_queries, detect
from tests.testapp.models import Person, Team

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("close_thread_connections"),
]

MakeTeams = Callable[[int], list[Team]]


async def _members_per_team(size: int, make_teams: MakeTeams) -> tuple[list[list[str]], int]:
    await sync_to_async(make_teams)(size)
    with count_queries() as queries:
        members = [
            sorted([m.name async for m in team.members.all()]) async for team in Team.objects.all()
        ]
    return members, queries.count


async def test_async_for_over_a_related_manager_is_peer_loaded(make_teams: MakeTeams) -> None:
    """async for over team.members.all() per row works and costs 2 queries in all."""
    members, count = await _members_per_team(3, make_teams)
    assert members == [[f"a{i}", f"b{i}"] for i in range(3)]
    assert count == 2


async def test_async_for_over_a_reverse_foreign_key_is_peer_loaded(
    make_teams: MakeTeams,
) -> None:
    """async for over person.hosted_teams.all() per row costs 2 queries at 2 and 5 rows."""
    for size in (2, 5):
        await sync_to_async(make_teams)(size)
        with count_queries() as queries:
            names = [
                [t.name async for t in person.hosted_teams.all()]
                async for person in Person.objects.filter(name__startswith="host")
            ]
        assert [len(n) for n in names] == [1] * size
        assert queries.count == 2
        await Team.objects.all().adelete()
        await Person.objects.all().adelete()


async def test_related_manager_async_methods_are_peer_loaded(make_teams: MakeTeams) -> None:
    """acount() and aexists() of a related manager per row cost one query for the list."""
    await sync_to_async(make_teams)(4)
    with count_queries() as queries:
        counts = [
            (await team.members.acount(), await team.members.aexists())
            async for team in Team.objects.all()
        ]
    assert counts == [(2, True)] * 4
    assert queries.count == 2


async def test_single_row_async_methods(make_teams: MakeTeams) -> None:
    """aget(), afirst(), acount() and aexists() of a SafeQuerySet each run one query."""
    teams = await sync_to_async(make_teams)(3)
    with count_queries() as queries:
        team = await Team.objects.aget(pk=teams[0].pk)
        first = await Team.objects.order_by("pk").afirst()
        total = await Team.objects.acount()
        found = await Team.objects.filter(name="team1").aexists()
    assert (team.name, first and first.name, total, found) == ("team0", "team0", 3, True)
    assert queries.count == 4


async def test_async_loop_under_the_detector(make_teams: MakeTeams) -> None:
    """The peer-loaded async loop raises nothing under detect("raise")."""
    await sync_to_async(make_teams)(3)
    async with detect("raise"):
        members = [
            sorted([m.name async for m in team.members.all()]) async for team in Team.objects.all()
        ]
    assert len(members) == 3


async def test_async_loop_over_plain_rows_is_detected(make_teams: MakeTeams) -> None:
    """The same async loop over a plain manager is reported as an N+1."""
    await sync_to_async(make_teams)(3)

    async def loop() -> list[list[Person]]:
        return [[m async for m in team.members.all()] async for team in Team.plain.all()]

    with pytest.raises(NPlusOneError, match=r"Team\.members"):
        async with detect("raise"):
            await loop()


async def test_related_manager_afirst_and_alast_are_peer_loaded(make_teams: MakeTeams) -> None:
    """afirst() and alast() of a related manager per row cost one query for the list."""
    await sync_to_async(make_teams)(3)
    with count_queries() as queries:
        ends = [
            ((await team.members.afirst()), (await team.members.alast()))
            async for team in Team.objects.order_by("pk")
        ]
    assert [(a and a.name, b and b.name) for a, b in ends] == [(f"a{i}", f"b{i}") for i in range(3)]
    assert queries.count == 2


async def test_aget_per_row_is_detected_at_the_awaiting_line(make_teams: MakeTeams) -> None:
    """await Model.objects.aget() per row of a result is a per-row query of that line."""
    await sync_to_async(make_teams)(3)

    async def loop() -> None:
        async for team in Team.plain.all():
            await Person.plain.aget(pk=team.host_id)

    with pytest.raises(NPlusOneError, match=r"once per row of a result at tests/test_async\.py"):
        async with detect("raise"):
            await loop()
