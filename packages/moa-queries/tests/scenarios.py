"""The list shapes of the scenario suite: each a loop over a plain or a safe manager.

``n_plus_one`` says whether the shape runs one query per row with a plain manager;
``safe_constant`` whether a ``SafeManager`` keeps it constant. Used by
``test_scenarios.py`` and by the benchmark's detector comparison; imports no pytest.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from asgiref.sync import async_to_sync
from django.contrib.contenttypes.models import ContentType
from django.core.paginator import Paginator
from django.db.models import Count, OuterRef, Prefetch, Subquery, prefetch_related_objects
from django.template import Context, Template

from tests.testapp.models import (
    Membership,
    Note,
    Person,
    Place,
    Profile,
    Restaurant,
    Squad,
    Tag,
    Team,
    TeamProxy,
)

TEMPLATE = Template("{% for team in teams %}{{ team.host.name }}{% endfor %}")
NESTED_TEMPLATE = Template("{% for team in teams %}{{ team.host.profile.city }}{% endfor %}")
COUNT_TEMPLATE = Template("{% for team in teams %}{{ team.members.count }}{% endfor %}")


def add_rows(n: int) -> None:
    """Add ``n`` teams (host with profile, two members, one tag), notes and restaurants."""
    start = Team.plain.count()
    team_type = ContentType.objects.get_for_model(Team)
    for i in range(start, start + n):
        first, second = Person.plain.create(name=f"a{i}"), Person.plain.create(name=f"b{i}")
        host = Person.plain.create(name=f"host{i}", mentor=first)
        Profile.plain.create(person=host, city=f"city{i}")
        team = Team.plain.create(name=f"team{i}", host=host)
        team.members.add(first, second)
        Tag.plain.create(label=f"tag{i}", content_type=team_type, object_id=team.pk)
        squad = Squad.plain.create(name=f"squad{i}")
        Membership.plain.create(squad=squad, person=host, role="lead")
        Note.plain.create(text=f"note{i}")
        Restaurant.plain.create(name=f"r{i}")


def serialize(team: Team) -> dict[str, Any]:
    """A DRF-style nested serializer, written out."""
    return {
        "name": team.name,
        "host": {"name": team.host.name, "city": team.host.profile.city},
        "members": [{"name": m.name} for m in team.members.all()],
    }


def _raw(m: str) -> Any:
    return getattr(Team, m).raw("SELECT * FROM testapp_team ORDER BY id")


def _pickled(m: str) -> Any:
    return pickle.loads(pickle.dumps(getattr(Team, m).all()))


def _per_row_exists(m: str) -> None:
    for team in getattr(Team, m).all():
        Person.plain.filter(pk=team.host_id).exists()


def _per_row_get_of_values(m: str) -> None:
    for row in getattr(Team, m).values("host_id"):
        Person.plain.get(pk=row["host_id"])


def _per_row_prefetch(m: str) -> None:
    for team in getattr(Team, m).all():
        prefetch_related_objects([team], "members")


def _prefetched_then_filtered(m: str) -> None:
    for team in getattr(Team, m).prefetch_related("members"):
        list(team.members.filter(name__startswith="a"))


def _to_attr_rows(m: str) -> None:
    people = getattr(Person, m).order_by("name")
    prefetch = Prefetch("members", queryset=people, to_attr="people")
    for team in getattr(Team, m).prefetch_related(prefetch):
        [member.hosted_teams.count() for member in team.people]  # type: ignore[attr-defined]


def _members(m: str) -> Prefetch:
    """Prefetch members through the same kind of manager as the list (plain or safe)."""
    return Prefetch("members", queryset=getattr(Person, m).all())


def _nested_after_prefetch(m: str) -> None:
    for team in getattr(Team, m).prefetch_related(_members(m)):
        [list(member.teams.all()) for member in team.members.all()]


def _hosts(m: str) -> Any:
    return getattr(Person, m).filter(name__startswith="host")


def _fixed_counts(m: str) -> list[int]:
    """Twelve counts, one per month: a fixed number, whatever the rows."""
    return [_teams(m).filter(name__endswith=str(month % 10)).count() for month in range(12)]


def _fixed_gets(m: str) -> list[Any]:
    return [_teams(m).filter(name=f"team{i}").first() for i in range(3)]


def _created_rows(m: str) -> list[str]:
    """Rows made by create() hold the related rows they were given: nothing to load."""
    host = getattr(Person, m).create(name="new host")
    teams = [getattr(Team, m).create(name=f"new{i}", host=host) for i in range(3)]
    names = [team.host.name for team in teams]
    getattr(Team, m).filter(pk__in=[team.pk for team in teams]).delete()
    host.delete()
    return names


def _in_bulk_lookup(m: str) -> list[str]:
    teams = list(_teams(m).all())
    hosts = getattr(Person, m).in_bulk([team.host_id for team in teams])
    return [hosts[team.host_id].name for team in teams]


def _run_async(shape: Callable[[str], Any]) -> Callable[[str], Any]:
    """A shape written as a coroutine, run to completion from sync code."""
    return lambda m: async_to_sync(shape)(m)


async def _aget_per_row(m: str) -> None:
    async for team in _teams(m).all():
        await Person.plain.aget(pk=team.host_id)


async def _async_related(m: str) -> None:
    async for team in _teams(m).all():
        [member async for member in team.members.all()]


async def _async_count(m: str) -> None:
    async for team in _teams(m).all():
        await team.members.acount()


async def _async_prefetched(m: str) -> None:
    async for team in _teams(m).prefetch_related("members").select_related("host"):
        (team.host.name, len(team.members.all()))


def _place_children(m: str) -> None:
    for place in getattr(Place, m).all():
        place.restaurant  # noqa: B018


@dataclass(frozen=True)
class Scenario:
    name: str
    run: Callable[[str], object]
    n_plus_one: bool
    """Whether the shape runs one query per row with a plain manager."""
    safe_constant: bool = True
    """Whether a SafeManager keeps it constant."""


def _teams(m: str) -> Any:
    return getattr(Team, m)


SCENARIOS = [
    Scenario("forward foreign key", lambda m: [t.host.name for t in _teams(m).all()], True),
    Scenario(
        "reverse foreign key",
        lambda m: [
            list(p.hosted_teams.all()) for p in getattr(Person, m).filter(name__startswith="host")
        ],
        True,
    ),
    Scenario("many-to-many", lambda m: [list(t.members.all()) for t in _teams(m).all()], True),
    Scenario(
        "reverse many-to-many",
        lambda m: [list(p.teams.all()) for p in getattr(Person, m).filter(name__startswith="a")],
        True,
    ),
    Scenario(
        "one-to-one forward", lambda m: [p.person.name for p in getattr(Profile, m).all()], True
    ),
    Scenario(
        "one-to-one reverse",
        lambda m: [p.profile.city for p in getattr(Person, m).filter(name__startswith="host")],
        True,
    ),
    Scenario("generic foreign key", lambda m: [t.target for t in getattr(Tag, m).all()], True),
    Scenario("generic relation", lambda m: [list(t.tags.all()) for t in _teams(m).all()], True),
    Scenario("deferred field", lambda m: [t.motto for t in _teams(m).only("name")], True),
    Scenario("multi-table inheritance child", _place_children, True),
    Scenario(
        "nested chain",
        lambda m: [t.host.profile.city for t in _teams(m).all()],
        True,
    ),
    Scenario(
        "iterator, chunked",
        lambda m: [t.host.name for t in _teams(m).iterator(chunk_size=100)],
        True,
    ),
    Scenario("iterator", lambda m: [t.host.name for t in _teams(m).iterator()], True),
    Scenario("slice", lambda m: [t.host.name for t in _teams(m).order_by("pk")[:50]], True),
    Scenario(
        "page",
        lambda m: [t.host.name for t in Paginator(_teams(m).order_by("pk"), 50).page(1)],
        True,
    ),
    Scenario(
        "union",
        lambda m: [
            t.host.name
            for t in _teams(m)
            .filter(name__endswith="0")
            .union(_teams(m).exclude(name__endswith="0"))
        ],
        True,
    ),
    Scenario("template", lambda m: TEMPLATE.render(Context({"teams": _teams(m).all()})), True),
    Scenario("nested serializer", lambda m: [serialize(t) for t in _teams(m).all()], True),
    Scenario(
        "first() of a related manager",
        lambda m: [t.members.first() for t in _teams(m).all()],
        True,
    ),
    Scenario("Prefetch to_attr rows", _to_attr_rows, True),
    Scenario("raw()", lambda m: [t.host.name for t in _raw(m)], True),
    Scenario("unpickled queryset", lambda m: [t.host.name for t in _pickled(m)], True),
    Scenario("exists() per row", _per_row_exists, True, safe_constant=False),
    Scenario("get() per values() row", _per_row_get_of_values, True, safe_constant=False),
    Scenario("prefetch_related_objects per row", _per_row_prefetch, True, safe_constant=False),
    Scenario("prefetched, then filtered", _prefetched_then_filtered, True, safe_constant=False),
    Scenario(
        "count() of a related manager", lambda m: [t.members.count() for t in _teams(m).all()], True
    ),
    Scenario(
        "exists() of a related manager",
        lambda m: [t.members.exists() for t in _teams(m).all()],
        True,
    ),
    Scenario(
        "filter() of a related manager",
        lambda m: [list(t.members.filter(name__startswith="a")) for t in _teams(m).all()],
        True,
        safe_constant=False,
    ),
    Scenario(
        "values() of a related manager",
        lambda m: [list(t.members.values("name")) for t in _teams(m).all()],
        True,
        safe_constant=False,
    ),
    Scenario(
        "last() of a related manager", lambda m: [t.members.last() for t in _teams(m).all()], True
    ),
    Scenario(
        "latest() of a related manager",
        lambda m: [t.members.latest("pk") for t in _teams(m).all()],
        True,
        safe_constant=False,
    ),
    Scenario(
        "aggregate() of a related manager",
        lambda m: [t.members.aggregate(n=Count("pk")) for t in _teams(m).all()],
        True,
        safe_constant=False,
    ),
    Scenario(
        "count() of a reverse foreign key",
        lambda m: [p.hosted_teams.count() for p in _hosts(m)],
        True,
    ),
    Scenario(
        "count() of a generic relation", lambda m: [t.tags.count() for t in _teams(m).all()], True
    ),
    Scenario(
        "select_related, then a relation it left out",
        lambda m: [t.host.profile.city for t in _teams(m).select_related("host")],
        True,
    ),
    Scenario(
        "select_related, then a reverse foreign key",
        lambda m: [list(t.host.hosted_teams.all()) for t in _teams(m).select_related("host")],
        True,
    ),
    Scenario("prefetch_related, then a relation of its rows", _nested_after_prefetch, True),
    Scenario(
        "deferred foreign key column",
        lambda m: [t.host.name for t in _teams(m).only("name")],
        True,
    ),
    Scenario("defer()", lambda m: [t.motto for t in _teams(m).defer("motto")], True),
    Scenario(
        "get() per values_list() row",
        lambda m: [Person.plain.get(pk=pk) for pk in _teams(m).values_list("host_id", flat=True)],
        True,
        safe_constant=False,
    ),
    Scenario(
        "get() of each row again",
        lambda m: [Team.plain.get(pk=t.pk) for t in _teams(m).all()],
        True,
        safe_constant=False,
    ),
    Scenario(
        "filter().first() per row",
        lambda m: [Person.plain.filter(pk=t.host_id).first() for t in _teams(m).all()],
        True,
        safe_constant=False,
    ),
    Scenario(
        "filter().count() per row",
        lambda m: [Team.plain.filter(host_id=t.host_id).count() for t in _teams(m).all()],
        True,
        safe_constant=False,
    ),
    Scenario(
        "refresh_from_db() per row",
        lambda m: [t.refresh_from_db() for t in _teams(m).all()],
        True,
        safe_constant=False,
    ),
    Scenario(
        "in_bulk(), then a relation",
        lambda m: [t.host.name for t in _teams(m).in_bulk().values()],
        True,
    ),
    Scenario("self-referential foreign key", lambda m: [p.mentor.name for p in _hosts(m)], True),
    Scenario(
        "many-to-many through a model",
        lambda m: [list(s.members.all()) for s in getattr(Squad, m).all()],
        True,
    ),
    Scenario("proxy model", lambda m: [t.host.name for t in getattr(TeamProxy, m).all()], True),
    Scenario(
        "generic foreign key, then its relation",
        lambda m: [t.target.host.name for t in getattr(Tag, m).all()],
        True,
    ),
    Scenario(
        "template, nested relation",
        lambda m: NESTED_TEMPLATE.render(Context({"teams": _teams(m).all()})),
        True,
    ),
    Scenario(
        "template, count of a related manager",
        lambda m: COUNT_TEMPLATE.render(Context({"teams": _teams(m).all()})),
        True,
    ),
    Scenario(
        "distinct(), ordered by a relation",
        lambda m: [t.host.name for t in _teams(m).order_by("host__name").distinct()],
        True,
    ),
    Scenario(
        "annotated, then a relation",
        lambda m: [t.host.name for t in _teams(m).annotate(n=Count("members"))],
        True,
    ),
    Scenario(
        "iterator() with prefetch_related, then a relation of its rows",
        lambda m: [
            list(member.teams.all())
            for t in _teams(m).prefetch_related(_members(m)).iterator(chunk_size=100)
            for member in t.members.all()
        ],
        True,
    ),
    Scenario("aget() per row (async)", _run_async(_aget_per_row), True, safe_constant=False),
    Scenario("async for over a related manager", _run_async(_async_related), True),
    Scenario("acount() of a related manager (async)", _run_async(_async_count), True),
    # Look-alikes: constant with any manager, and never reported.
    Scenario(
        "select_related", lambda m: [t.host.name for t in _teams(m).select_related("host")], False
    ),
    Scenario(
        "prefetch_related",
        lambda m: [len(t.members.all()) for t in _teams(m).prefetch_related("members")],
        False,
    ),
    Scenario(
        "annotated count",
        lambda m: [t.n for t in _teams(m).annotate(n=Count("members"))],
        False,
    ),
    Scenario("values", lambda m: list(_teams(m).values("name", "host__name")), False),
    Scenario(
        "empty generic foreign key", lambda m: [n.target for n in getattr(Note, m).all()], False
    ),
    Scenario(
        "one row, two relations",
        lambda m: (lambda t: (t.host.name, list(t.members.all())))(_teams(m).get(name="team0")),
        False,
    ),
    Scenario("twelve monthly counts", _fixed_counts, False),
    Scenario("rows just created", _created_rows, False),
    Scenario("a fixed number of first() calls", _fixed_gets, False),
    Scenario("foreign key id", lambda m: [t.host_id for t in _teams(m).all()], False),
    Scenario(
        "nested select_related",
        lambda m: [t.host.profile.city for t in _teams(m).select_related("host__profile")],
        False,
    ),
    Scenario(
        "nested prefetch_related",
        lambda m: [
            [len(p.teams.all()) for p in t.members.all()]
            for t in _teams(m).prefetch_related("members__teams")
        ],
        False,
    ),
    Scenario(
        "Prefetch to_attr, read",
        lambda m: [
            len(t.people) for t in _teams(m).prefetch_related(Prefetch("members", to_attr="people"))
        ],
        False,
    ),
    Scenario(
        "prefetched count() and exists()",
        lambda m: [
            (t.members.count(), t.members.exists()) for t in _teams(m).prefetch_related("members")
        ],
        False,
    ),
    Scenario(
        "one row, its relation read ten times",
        lambda m: (lambda t: [t.host.name for _ in range(10)])(_teams(m).get(name="team0")),
        False,
    ),
    Scenario("empty nullable foreign key", lambda m: [t.deputy for t in _teams(m).all()], False),
    Scenario(
        "prefetched generic foreign key",
        lambda m: [t.target for t in getattr(Tag, m).prefetch_related("target")],
        False,
    ),
    Scenario(
        "iterator() with prefetch_related",
        lambda m: [
            len(t.members.all())
            for t in _teams(m).prefetch_related("members").iterator(chunk_size=100)
        ],
        False,
    ),
    Scenario(
        "values_list(flat=True)", lambda m: list(_teams(m).values_list("name", flat=True)), False
    ),
    Scenario("aggregate of the list", lambda m: _teams(m).aggregate(n=Count("members")), False),
    Scenario(
        "page with select_related",
        lambda m: [
            t.host.name
            for t in Paginator(_teams(m).select_related("host").order_by("pk"), 50).page(1)
        ],
        False,
    ),
    Scenario(
        "multi-table child, parent fields",
        lambda m: [r.name for r in getattr(Restaurant, m).all()],
        False,
    ),
    Scenario(
        "Subquery annotation",
        lambda m: [
            t.host_name
            for t in _teams(m).annotate(
                host_name=Subquery(Person.plain.filter(pk=OuterRef("host_id")).values("name")[:1])
            )
        ],
        False,
    ),
    Scenario("in_bulk() lookup", _in_bulk_lookup, False),
    Scenario(
        "Prefetch with a select_related queryset",
        lambda m: [
            [t.host.name for t in p.hosted_teams.all()]
            for p in _hosts(m).prefetch_related(
                Prefetch("hosted_teams", queryset=Team.plain.select_related("host"))
            )
        ],
        False,
    ),
    Scenario(
        "prefetched generic relation",
        lambda m: [len(t.tags.all()) for t in _teams(m).prefetch_related("tags")],
        False,
    ),
    Scenario(
        "nested serializer, loaded",
        lambda m: [
            serialize(t)
            for t in _teams(m).select_related("host__profile").prefetch_related("members")
        ],
        False,
    ),
    Scenario(
        "template, loaded",
        lambda m: TEMPLATE.render(Context({"teams": _teams(m).select_related("host")})),
        False,
    ),
    Scenario("async for with prefetch_related", _run_async(_async_prefetched), False),
    Scenario(
        "reverse one-to-one with select_related",
        lambda m: [p.profile.city for p in _hosts(m).select_related("profile")],
        False,
    ),
]
