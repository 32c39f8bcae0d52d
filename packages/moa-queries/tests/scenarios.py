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

from django.contrib.contenttypes.models import ContentType
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, prefetch_related_objects
from django.template import Context, Template

from tests.testapp.models import Note, Person, Place, Profile, Restaurant, Tag, Team

TEMPLATE = Template("{% for team in teams %}{{ team.host.name }}{% endfor %}")


def add_rows(n: int) -> None:
    """Add ``n`` teams (host with profile, two members, one tag), notes and restaurants."""
    start = Team.plain.count()
    team_type = ContentType.objects.get_for_model(Team)
    for i in range(start, start + n):
        host = Person.plain.create(name=f"host{i}")
        Profile.plain.create(person=host, city=f"city{i}")
        team = Team.plain.create(name=f"team{i}", host=host)
        team.members.add(Person.plain.create(name=f"a{i}"), Person.plain.create(name=f"b{i}"))
        Tag.plain.create(label=f"tag{i}", content_type=team_type, object_id=team.pk)
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
    Scenario(
        "a fixed number of counts",
        lambda m: [_teams(m).filter(name__endswith=str(i)).count() for i in range(3)],
        False,
    ),
]
