"""SafeQuerySet: default relations and peer fetching, per relation kind."""

from __future__ import annotations

import pickle
from collections.abc import Callable

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db.models import Prefetch

from moa_queries import count_queries
from tests.testapp.models import Club, Person, Place, Profile, Restaurant, Tag, Team

pytestmark = pytest.mark.django_db

MakeTeams = Callable[[int], list[Team]]


def test_forward_foreign_key_is_loaded_for_all_rows(make_teams: MakeTeams) -> None:
    """Reading team.host on each row of a list costs one query for the whole list."""
    make_teams(5)
    with count_queries() as queries:
        hosts = [team.host.name for team in Team.objects.all()]
    assert hosts == [f"host{i}" for i in range(5)]
    assert queries.count == 2


def test_plain_queryset_runs_one_query_per_row(make_teams: MakeTeams) -> None:
    """The unsafe twin: a plain queryset pays 1 + N."""
    make_teams(5)
    with count_queries() as queries:
        [team.host.name for team in Team.plain.all()]
    assert queries.count == 6


def test_reverse_foreign_key_manager_is_loaded_for_all_rows(make_teams: MakeTeams) -> None:
    """person.hosted_teams.all() in a loop costs one query for the whole list."""
    make_teams(4)
    with count_queries() as queries:
        names = [
            [team.name for team in person.hosted_teams.all()]
            for person in Person.objects.filter(name__startswith="host")
        ]
    assert names == [[f"team{i}"] for i in range(4)]
    assert queries.count == 2


def test_many_to_many_manager_is_loaded_for_all_rows(make_teams: MakeTeams) -> None:
    """team.members.all() in a loop costs one query for the whole list."""
    make_teams(4)
    with count_queries() as queries:
        members = [sorted(m.name for m in team.members.all()) for team in Team.objects.all()]
    assert members == [[f"a{i}", f"b{i}"] for i in range(4)]
    assert queries.count == 2


def test_reverse_many_to_many_manager_is_loaded_for_all_rows(make_teams: MakeTeams) -> None:
    """person.teams.all() in a loop costs one query for the whole list."""
    make_teams(3)
    with count_queries() as queries:
        teams = [
            [t.name for t in person.teams.all()]
            for person in Person.objects.filter(name__startswith="a")
        ]
    assert teams == [["team0"], ["team1"], ["team2"]]
    assert queries.count == 2


def test_count_and_exists_use_the_peer_loaded_rows(make_teams: MakeTeams) -> None:
    """team.members.count() and .exists() in a loop cost one query in all."""
    make_teams(4)
    with count_queries() as queries:
        counts = [(team.members.count(), team.members.exists()) for team in Team.objects.all()]
    assert counts == [(2, True)] * 4
    assert queries.count == 2


def test_one_to_one_both_ways(make_teams: MakeTeams) -> None:
    """profile.person and person.profile load for all rows at once."""
    make_teams(3)
    with count_queries() as queries:
        forward = [profile.person.name for profile in Profile.objects.all()]
        reverse = [person.profile.city for person in Person.objects.filter(name__startswith="host")]
    assert forward == ["host0", "host1", "host2"]
    assert reverse == ["city0", "city1", "city2"]
    assert queries.count == 4


def test_missing_reverse_one_to_one_still_raises(make_teams: MakeTeams) -> None:
    """A row without the related object raises DoesNotExist after the peer load."""
    make_teams(2)
    people = list(Person.objects.order_by("pk"))
    with count_queries() as queries:
        found = []
        for person in people:
            try:
                found.append(person.profile.city)
            except Profile.DoesNotExist:
                found.append(None)
    assert found == ["city0", None, None, "city1", None, None]
    assert queries.count == 1


def test_generic_relations_both_ways(make_teams: MakeTeams) -> None:
    """tag.target and team.tags.all() load for all rows at once."""
    teams = make_teams(3)
    content_type = ContentType.objects.get_for_model(Team)
    for team in teams:
        Tag.objects.create(label=f"t-{team.name}", content_type=content_type, object_id=team.pk)
    with count_queries() as queries:
        targets = [tag.target.name for tag in Tag.objects.all()]
        labels = [[t.label for t in team.tags.all()] for team in Team.objects.all()]
    assert targets == ["team0", "team1", "team2"]
    assert labels == [["t-team0"], ["t-team1"], ["t-team2"]]
    assert queries.count == 4


def test_deferred_field_is_loaded_for_all_rows(make_teams: MakeTeams) -> None:
    """A field left out by only() loads for every row with one query."""
    make_teams(4)
    with count_queries() as queries:
        mottos = [team.motto for team in Team.objects.only("name")]
    assert mottos == [""] * 4
    assert queries.count == 2


def test_multi_table_inheritance(db: None) -> None:
    """place.restaurant and a deferred parent field load for all rows at once."""
    for i in range(3):
        Restaurant.objects.create(name=f"r{i}", address=f"street {i}")
    Place.objects.create(name="park")
    with count_queries() as queries:
        pizza = []
        for place in Place.objects.order_by("pk"):
            try:
                pizza.append(place.restaurant.serves_pizza)
            except Restaurant.DoesNotExist:
                pizza.append(None)
        addresses = [r.address for r in Restaurant.objects.defer("address")]
    assert pizza == [False, False, False, None]
    assert addresses == ["street 0", "street 1", "street 2"]
    assert queries.count == 4


def test_nested_relations_of_peer_loaded_rows(make_teams: MakeTeams) -> None:
    """Rows loaded for peers are peers too: team.host.profile costs one more query."""
    make_teams(4)
    with count_queries() as queries:
        cities = [team.host.profile.city for team in Team.objects.all()]
    assert cities == [f"city{i}" for i in range(4)]
    assert queries.count == 3


def test_rows_of_prefetched_relations_are_peers(make_teams: MakeTeams) -> None:
    """Members prefetched for a list load their own relations for all at once."""
    make_teams(3)
    with count_queries() as queries:
        counts = [
            sum(member.hosted_teams.count() for member in team.members.all())
            for team in Team.objects.prefetch_related("members")
        ]
    assert counts == [0, 0, 0]
    assert queries.count == 3


def test_declared_defaults_are_loaded_for_every_list(db: None) -> None:
    """Club.QueryDefaults joins the owner and prefetches the members."""
    for i in range(3):
        club = Club.objects.create(name=f"c{i}", owner=Person.objects.create(name=f"o{i}"))
        club.members.add(Person.objects.create(name=f"m{i}"))
    with count_queries() as queries:
        rows = [(c.owner.name, [m.name for m in c.members.all()]) for c in Club.objects.all()]
    assert rows == [("o0", ["m0"]), ("o1", ["m1"]), ("o2", ["m2"])]
    assert queries.count == 2


def test_defaults_can_be_skipped_per_query(db: None) -> None:
    """without_defaults() runs the bare query; select_related(None) drops joins."""
    Club.objects.create(name="c", owner=Person.objects.create(name="o"))
    with count_queries() as queries:
        list(Club.objects.without_defaults())
    assert queries.count == 1
    assert "JOIN" not in queries.queries[0].sql
    with count_queries() as queries:
        list(Club.objects.select_related(None))
    assert queries.count == 2
    assert "JOIN" not in queries.queries[0].sql


def test_defaults_leave_counts_and_values_alone(db: None) -> None:
    """count() and values() run one plain query; defaults only apply to rows."""
    Club.objects.create(name="c", owner=Person.objects.create(name="o"))
    with count_queries() as queries:
        assert Club.objects.count() == 1
        assert list(Club.objects.values_list("name", flat=True)) == ["c"]
    assert queries.count == 2
    assert all("JOIN" not in query.sql for query in queries.queries)


def test_defaults_skip_a_deferred_relation(db: None) -> None:
    """only() without the owner does not fail on the default select_related."""
    Club.objects.create(name="c", owner=Person.objects.create(name="o"))
    assert [club.name for club in Club.objects.only("name")] == ["c"]


def test_explicit_prefetch_object_wins_over_default(db: None) -> None:
    """A Prefetch() for the same relation replaces the default lookup."""
    club = Club.objects.create(name="c", owner=Person.objects.create(name="o"))
    club.members.add(Person.objects.create(name="x"), Person.objects.create(name="y"))
    queryset = Club.objects.prefetch_related(
        Prefetch("members", queryset=Person.objects.order_by("-name"))
    )
    with count_queries() as queries:
        names = [[m.name for m in c.members.all()] for c in queryset]
    assert names == [["y", "x"]]
    assert queries.count == 2


def test_prefetch_object_with_to_attr_rows_are_peers(make_teams: MakeTeams) -> None:
    """Rows stored by Prefetch(to_attr=...) load their relations for all at once."""
    make_teams(3)
    queryset = Team.objects.prefetch_related(
        Prefetch("members", queryset=Person.objects.order_by("name"), to_attr="people")
    )
    with count_queries() as queries:
        counts = [sum(p.hosted_teams.count() for p in team.people) for team in queryset]
    assert counts == [0, 0, 0]
    assert queries.count == 3


def test_iterator_loads_per_chunk(make_teams: MakeTeams) -> None:
    """iterator(chunk_size=2) peer-loads each chunk of two rows with one query."""
    make_teams(5)
    with count_queries() as queries:
        hosts = [team.host.name for team in Team.objects.iterator(chunk_size=2)]
    assert hosts == [f"host{i}" for i in range(5)]
    # One query for the teams (or one per chunk with server-side cursors off), one per chunk.
    host_queries = [q for q in queries.queries if "testapp_person" in q.sql]
    assert len(host_queries) == 3


def test_iterator_applies_prefetch_defaults_without_chunk_size(db: None) -> None:
    """iterator() on a model with default prefetches still prefetches them."""
    club = Club.objects.create(name="c", owner=Person.objects.create(name="o"))
    club.members.add(Person.objects.create(name="m"))
    with count_queries() as queries:
        names = [[m.name for m in c.members.all()] for c in Club.objects.iterator()]
    assert names == [["m"]]
    assert queries.count == 2


@pytest.mark.django_db(transaction=True)
async def test_async_iterator_loads_per_chunk(
    make_teams: MakeTeams, close_thread_connections: None
) -> None:
    """aiterator() rows peer-load their relations per chunk."""
    from asgiref.sync import sync_to_async

    await sync_to_async(make_teams)(4)
    rows = [team async for team in Team.objects.aiterator(chunk_size=10)]

    def hosts() -> tuple[list[str], int]:
        with count_queries() as queries:
            names = [team.host.name for team in rows]
        return names, queries.count

    names, count = await sync_to_async(hosts)()
    assert names == [f"host{i}" for i in range(4)]
    assert count == 1


def test_pickled_queryset_keeps_its_peers(make_teams: MakeTeams) -> None:
    """An unpickled evaluated queryset still loads relations for all its rows."""
    make_teams(4)
    queryset = Team.objects.all()
    list(queryset)
    restored = pickle.loads(pickle.dumps(queryset))
    with count_queries() as queries:
        hosts = [team.host.name for team in restored]
    assert hosts == [f"host{i}" for i in range(4)]
    assert queries.count == 1


def test_pickled_rows_load_one_at_a_time(make_teams: MakeTeams) -> None:
    """A pickled row does not drag its peers along; it loads alone, correctly."""
    make_teams(3)
    team = pickle.loads(pickle.dumps(list(Team.objects.all())[1]))
    with count_queries() as queries:
        assert team.host.name == "host1"
    assert queries.count == 1


def test_without_peers_loads_row_by_row(make_teams: MakeTeams) -> None:
    """without_peers() opts a query out of peer fetching."""
    make_teams(3)
    with count_queries() as queries:
        [team.host.name for team in Team.objects.without_peers()]
    assert queries.count == 4


def test_single_object_loads_only_its_own_relation(make_teams: MakeTeams) -> None:
    """get() rows have no peers: reading a relation loads just that row's."""
    make_teams(3)
    team = Team.objects.get(name="team1")
    with count_queries() as queries:
        assert team.host.name == "host1"
    assert queries.count == 1
    assert "IN" not in queries.queries[0].sql


def test_changed_relation_after_add_is_reloaded(make_teams: MakeTeams) -> None:
    """members.add() on one row clears its cache; the next read sees the new member."""
    make_teams(2)
    teams = list(Team.objects.all())
    assert [m.name for m in teams[0].members.all()] == ["a0", "b0"]
    teams[0].members.add(Person.objects.create(name="c0"))
    assert sorted(m.name for m in teams[0].members.all()) == ["a0", "b0", "c0"]


@pytest.mark.django_db(databases=["default", "other"])
def test_rows_from_another_database_load_from_it(db: None) -> None:
    """Peers read through using("other") load their relations from "other"."""
    for i in range(3):
        host = Person.objects.using("other").create(name=f"other{i}")
        Team.objects.using("other").create(name=f"t{i}", host=host)
    with count_queries() as queries:
        hosts = [team.host.name for team in Team.objects.using("other")]
    assert hosts == ["other0", "other1", "other2"]
    assert [query.alias for query in queries.queries] == ["other", "other"]
