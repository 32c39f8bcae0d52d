"""The detector: each relation kind flagged, its fixed twin not, and the modes."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType

from moa_queries import NPlusOneError, NPlusOneWarning, count_queries, detect
from tests.testapp.models import Person, Place, Profile, Restaurant, Tag, Team

pytestmark = pytest.mark.django_db

MakeTeams = Callable[[int], list[Team]]
HERE = Path(__file__).name


def each(rows: Iterable[Any], action: Callable[[Any], object]) -> None:
    """Run ``action`` on each row: the loop every N+1 hides in."""
    for row in rows:
        action(row)


def test_forward_foreign_key_is_flagged(make_teams: MakeTeams) -> None:
    """team.host per row of a plain list raises, naming model, relation and line."""
    make_teams(3)
    with pytest.raises(NPlusOneError) as caught, detect("raise"):
        each(Team.plain.all(), lambda team: team.host.name)
    message = str(caught.value)
    assert message.startswith("N+1 queries: Team.host is loaded one row at a time at ")
    assert f"{HERE}:" in message
    assert 'select_related("host")' in message


def test_forward_foreign_key_fixed_twin(make_teams: MakeTeams) -> None:
    """select_related("host") and SafeQuerySet are not flagged."""
    make_teams(3)
    with detect("raise") as session:
        [team.host.name for team in Team.plain.select_related("host")]
        [team.host.name for team in Team.objects.all()]
    assert session is not None
    assert session.reports == []


def test_reverse_foreign_key_is_flagged_and_fixed(make_teams: MakeTeams) -> None:
    """person.hosted_teams.all() per row is flagged; prefetch_related fixes it."""
    make_teams(3)
    with pytest.raises(NPlusOneError, match=r"Person\.hosted_teams"), detect("raise"):
        each(Person.plain.all(), lambda person: list(person.hosted_teams.all()))
    with detect("raise"):
        for person in Person.plain.prefetch_related("hosted_teams"):
            list(person.hosted_teams.all())
        for person in Person.objects.all():
            list(person.hosted_teams.all())


def test_many_to_many_is_flagged_and_fixed(make_teams: MakeTeams) -> None:
    """team.members.all() per row is flagged; prefetch_related fixes it."""
    make_teams(3)
    with pytest.raises(NPlusOneError, match=r"Team\.members"), detect("raise"):
        each(Team.plain.all(), lambda team: list(team.members.all()))
    with detect("raise"):
        for team in Team.plain.prefetch_related("members"):
            list(team.members.all())
        for team in Team.objects.all():
            list(team.members.all())


def test_reverse_many_to_many_is_flagged_and_fixed(make_teams: MakeTeams) -> None:
    """person.teams.count() per row is flagged; prefetch_related fixes it."""
    make_teams(3)
    with pytest.raises(NPlusOneError, match=r"Person\.teams"), detect("raise"):
        each(Person.plain.all(), lambda person: person.teams.count())
    with detect("raise"):
        for person in Person.plain.prefetch_related("teams"):
            person.teams.count()
        for person in Person.objects.all():
            person.teams.count()


def test_one_to_one_forward_is_flagged_and_fixed(make_teams: MakeTeams) -> None:
    """profile.person per row is flagged; select_related fixes it."""
    make_teams(3)
    with pytest.raises(NPlusOneError, match=r"Profile\.person"), detect("raise"):
        each(Profile.plain.all(), lambda profile: profile.person.name)
    with detect("raise"):
        for profile in Profile.plain.select_related("person"):
            profile.person.name  # noqa: B018
        for profile in Profile.objects.all():
            profile.person.name  # noqa: B018


def test_one_to_one_reverse_is_flagged_and_fixed(make_teams: MakeTeams) -> None:
    """person.profile per row is flagged; select_related fixes it."""
    make_teams(3)
    hosts = Person.plain.filter(name__startswith="host")
    with pytest.raises(NPlusOneError, match=r"Person\.profile"), detect("raise"):
        each(hosts, lambda person: person.profile.city)
    with detect("raise"):
        for person in hosts.select_related("profile"):
            person.profile.city  # noqa: B018
        for person in Person.objects.filter(name__startswith="host"):
            person.profile.city  # noqa: B018


def make_tags(teams: list[Team]) -> None:
    content_type = ContentType.objects.get_for_model(Team)
    for team in teams:
        Tag.objects.create(label=team.name, content_type=content_type, object_id=team.pk)


def test_generic_foreign_key_is_flagged_and_fixed(make_teams: MakeTeams) -> None:
    """tag.target per row is flagged; prefetch_related fixes it."""
    make_tags(make_teams(3))
    with pytest.raises(NPlusOneError, match=r"Tag\.target"), detect("raise"):
        each(Tag.plain.all(), lambda tag: tag.target)
    with detect("raise"):
        for tag in Tag.plain.prefetch_related("target"):
            tag.target  # noqa: B018
        for tag in Tag.objects.all():
            tag.target  # noqa: B018


def test_generic_relation_is_flagged_and_fixed(make_teams: MakeTeams) -> None:
    """team.tags.all() per row is flagged; prefetch_related fixes it."""
    make_tags(make_teams(3))
    with pytest.raises(NPlusOneError, match=r"Team\.tags"), detect("raise"):
        each(Team.plain.all(), lambda team: list(team.tags.all()))
    with detect("raise"):
        for team in Team.plain.prefetch_related("tags"):
            list(team.tags.all())
        for team in Team.objects.all():
            list(team.tags.all())


def test_deferred_field_is_flagged_and_fixed(make_teams: MakeTeams) -> None:
    """A deferred field read per row is flagged; loading it fixes it."""
    make_teams(3)
    with pytest.raises(NPlusOneError, match=r"Team\.motto"), detect("raise"):
        each(Team.plain.only("name"), lambda team: team.motto)
    with detect("raise"):
        for team in Team.plain.only("name", "motto"):
            team.motto  # noqa: B018
        for team in Team.objects.only("name"):
            team.motto  # noqa: B018


def test_multi_table_inheritance_is_flagged_and_fixed(db: None) -> None:
    """place.restaurant per row is flagged; select_related fixes it."""
    for i in range(3):
        Restaurant.objects.create(name=f"r{i}")
    with pytest.raises(NPlusOneError, match=r"Place\.restaurant"), detect("raise"):
        each(Place.plain.all(), lambda place: place.restaurant)
    with detect("raise"):
        for place in Place.plain.select_related("restaurant"):
            place.restaurant  # noqa: B018
        for place in Place.objects.all():
            place.restaurant  # noqa: B018
        for restaurant in Restaurant.plain.all():
            restaurant.place_ptr.name  # noqa: B018


def test_single_object_loads_are_not_flagged(make_teams: MakeTeams) -> None:
    """get() and first() rows may load relations: that is not N+1."""
    make_teams(3)
    with detect("raise", threshold=None) as session:
        Team.plain.get(name="team0").host  # noqa: B018
        first = Team.plain.order_by("pk").first()
        assert first is not None
        first.host  # noqa: B018
        list(first.members.all())
        for name in ("team1", "team2"):
            Team.plain.get(name=name).host  # noqa: B018
    assert session is not None
    assert session.reports == []


def test_one_lazy_load_from_a_list_is_not_flagged(make_teams: MakeTeams) -> None:
    """Reading a relation on one row of a list (not in a loop) is fine."""
    make_teams(3)
    with detect("raise"):
        teams = list(Team.plain.all())
        teams[0].host  # noqa: B018


def test_reported_once_per_site(make_teams: MakeTeams) -> None:
    """A loop is reported once, with each distinct site reported on its own."""
    make_teams(4)
    with warnings.catch_warnings(record=True), detect("warn") as session:
        warnings.simplefilter("always")
        for team in Team.plain.all():
            team.host  # noqa: B018
        for team in Team.plain.all():
            team.host  # noqa: B018
    assert session is not None
    sites = [report.site for report in session.reports]
    assert len(sites) == 2
    assert len(set(sites)) == 2
    assert all(site.startswith("tests/test_detection.py:") for site in sites)
    assert {report.model for report in session.reports} == {"testapp.Team"}


def test_warn_mode_warns_at_the_user_line(make_teams: MakeTeams) -> None:
    """warn mode issues NPlusOneWarning attributed to the triggering line."""
    make_teams(3)
    with warnings.catch_warnings(record=True) as caught, detect("warn"):
        warnings.simplefilter("always")
        for team in Team.plain.all():
            team.host  # noqa: B018
    assert [w.category for w in caught] == [NPlusOneWarning]
    assert caught[0].filename == __file__


def test_log_mode_logs(
    make_teams: MakeTeams, caplog: pytest.LogCaptureFixture, settings: object
) -> None:
    """log mode with DEBUG on writes one warning to the moa_queries logger."""
    settings.DEBUG = True  # type: ignore[attr-defined]
    make_teams(3)
    with caplog.at_level(logging.WARNING, logger="moa_queries"), detect("log"):
        for team in Team.plain.all():
            team.host  # noqa: B018
    assert len(caplog.records) == 1
    assert "Team.host" in caplog.records[0].getMessage()


def test_production_log_mode_watches_sql_only(
    make_teams: MakeTeams, caplog: pytest.LogCaptureFixture
) -> None:
    """log mode with DEBUG off reports repeated SQL, not relations (no ORM hook needed)."""
    make_teams(3)
    with caplog.at_level(logging.WARNING, logger="moa_queries"), detect("log", threshold=3):
        for team in Team.plain.all():
            team.host  # noqa: B018
    assert [record.getMessage()[:30] for record in caplog.records] == [
        "Repeated queries: the same SQL"
    ]


def test_log_mode_never_raises(make_teams: MakeTeams, monkeypatch: pytest.MonkeyPatch) -> None:
    """A failure inside the detector in log mode does not reach the caller."""
    from moa_queries import detection

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("detector bug")

    monkeypatch.setattr(detection, "find_site", broken)
    make_teams(3)
    with detect("log", threshold=2):
        names = [team.host.name for team in Team.plain.all()]
    assert names == ["host0", "host1", "host2"]


def test_off_mode_does_nothing(make_teams: MakeTeams) -> None:
    """off mode has no session and reports nothing."""
    make_teams(3)
    with detect("off") as session:
        [team.host.name for team in Team.plain.all()]
    assert session is None


def test_unknown_mode_is_rejected() -> None:
    """detect() refuses a mode it does not know, naming the choices."""
    with pytest.raises(ValueError, match="mode must be one of"):
        detect("loud")


def test_whitelist_by_model_field_and_site(make_teams: MakeTeams) -> None:
    """Whitelisted model, field or site is not reported."""
    make_teams(3)
    for entry in (
        {"model": "testapp.Team"},
        {"model": "testapp.team", "field": "host"},
        {"site": "*test_detection.py:*"},
    ):
        with detect("raise", whitelist=[entry]):
            [team.host.name for team in Team.plain.all()]
    with pytest.raises(NPlusOneError), detect("raise", whitelist=[{"field": "members"}]):
        [team.host.name for team in Team.plain.all()]


def test_whitelist_setting(make_teams: MakeTeams, settings: object) -> None:
    """MOA_QUERIES_NPLUSONE_WHITELIST applies to every detector."""
    settings.MOA_QUERIES_NPLUSONE_WHITELIST = [{"model": "testapp.Team", "field": "host"}]  # type: ignore[attr-defined]
    make_teams(3)
    with detect("raise"):
        [team.host.name for team in Team.plain.all()]


def test_bad_whitelist_entry_is_rejected() -> None:
    """A whitelist entry with unknown keys is a clear error."""
    with pytest.raises(ValueError, match="keys model, field, site"):
        detect("raise", whitelist=[{"modle": "testapp.Team"}])


def test_repeated_sql_shape_is_flagged(make_teams: MakeTeams) -> None:
    """The same SQL run threshold times in a loop over rows is reported, with its site.

    The query names no value of the row (one lookup repeated per team), so only the
    repetition rule sees it.
    """
    make_teams(6)
    with pytest.raises(NPlusOneError) as caught, detect("raise", threshold=5):
        each(Team.plain.all(), lambda team: Person.plain.get(name="host0"))
    assert str(caught.value).startswith("Repeated queries: the same SQL ran 5 times")
    assert f"{HERE}:" in str(caught.value)


def _host_name(pk: int) -> str:
    return Person.plain.get(pk=pk).name


def test_per_row_query_in_a_helper_is_flagged_at_the_second_row(make_teams: MakeTeams) -> None:
    """A helper called once per row, given the row's value, runs one query per row."""
    make_teams(3)
    with (
        pytest.raises(NPlusOneError, match="once per row of a result") as caught,
        detect("raise", threshold=None),
    ):
        each(Team.plain.all(), lambda team: _host_name(team.host_id))
    assert f"{HERE}:" in str(caught.value)


def test_helper_given_constants_is_no_per_row_query(make_teams: MakeTeams) -> None:
    """The same helper called for a fixed list of values reads no row of a result."""
    teams = make_teams(3)
    hosts = [team.host_id for team in teams]
    with detect("raise") as session:
        for pk in hosts:
            _host_name(pk)
    assert session is not None
    assert session.reports == []


def test_get_per_value_of_a_values_list_is_flagged_at_the_second_row(
    make_teams: MakeTeams,
) -> None:
    """get(pk=...) for each value of a values_list() result is one query per row."""
    make_teams(3)
    with (
        pytest.raises(NPlusOneError, match="once per row of a result") as caught,
        detect("raise", threshold=None),
        count_queries() as queries,
    ):
        each(Person.plain.values_list("pk", flat=True), lambda pk: Person.plain.get(pk=pk))
    assert f"{HERE}:" in str(caught.value)
    assert queries.count == 3


def test_repeated_sql_below_threshold_is_fine(make_teams: MakeTeams) -> None:
    """Fewer repeats than the threshold, or threshold None, report nothing."""
    make_teams(4)
    ids = list(Person.plain.values_list("pk", flat=True))[:4]
    with detect("raise", threshold=5):
        for pk in ids:
            Person.plain.get(pk=pk)
    with detect("raise", threshold=None):
        for pk in ids * 3:
            Person.plain.get(pk=pk)


def test_threshold_setting(make_teams: MakeTeams, settings: object) -> None:
    """MOA_QUERIES_REPEATED_QUERY_THRESHOLD sets the default threshold."""
    settings.MOA_QUERIES_REPEATED_QUERY_THRESHOLD = 3  # type: ignore[attr-defined]
    make_teams(3)
    pk = Person.plain.values_list("pk", flat=True)[0]
    with pytest.raises(NPlusOneError, match="ran 3 times"), detect("raise"):
        each(Team.plain.all(), lambda _: Person.plain.get(pk=pk))


def test_decorator_sync(make_teams: MakeTeams) -> None:
    """@detect("raise") wraps a function."""
    make_teams(3)

    @detect("raise")
    def hosts() -> list[str]:
        return [team.host.name for team in Team.plain.all()]

    with pytest.raises(NPlusOneError):
        hosts()


@pytest.mark.django_db(transaction=True)
async def test_decorator_async(make_teams: MakeTeams, close_thread_connections: None) -> None:
    """@detect("raise") wraps a coroutine function; ORM work in a thread is seen."""
    from asgiref.sync import sync_to_async

    await sync_to_async(make_teams)(3)

    @detect("raise")
    async def hosts() -> list[str]:
        return await sync_to_async(lambda: [team.host.name for team in Team.plain.all()])()

    with pytest.raises(NPlusOneError):
        await hosts()
    async with detect("raise"):
        await sync_to_async(lambda: [t.host.name for t in Team.objects.all()])()
