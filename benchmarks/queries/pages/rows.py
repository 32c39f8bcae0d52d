"""Fill the benchmark's tables: ``n`` teams or clubs, each with its own host or owner
and two members of its own."""

from __future__ import annotations

from queries.pages.models import Club, Person, Team


def add_teams(n: int) -> None:
    """Replace every row with ``n`` teams."""
    Club.objects.all().delete()
    Team.objects.all().delete()
    Person.objects.all().delete()
    hosts = Person.objects.bulk_create(Person(name=f"host{i}") for i in range(n))
    teams = Team.objects.bulk_create(Team(name=f"team{i}", host=h) for i, h in enumerate(hosts))
    _add_members(Team.members.through, "team", teams)


def add_clubs(n: int) -> None:
    """Add ``n`` clubs."""
    owners = Person.objects.bulk_create(Person(name=f"owner{i}") for i in range(n))
    clubs = Club.objects.bulk_create(Club(name=f"club{i}", owner=o) for i, o in enumerate(owners))
    _add_members(Club.members.through, "club", clubs)


def _add_members(through: type, field: str, groups: list[Team] | list[Club]) -> None:
    members = Person.objects.bulk_create(Person(name=f"member{i}") for i in range(2 * len(groups)))
    through.objects.bulk_create(  # type: ignore[attr-defined]
        through(**{field: group, "person": members[2 * i + j]})
        for i, group in enumerate(groups)
        for j in range(2)
    )
