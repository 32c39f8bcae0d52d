"""Benchmarks of moa-queries, printed as JSON; each compares within one run.

    python packages/moa-queries/benchmarks_queries.py            # SQLite in memory
    MOA_TEST_DB=postgres://postgres@127.0.0.1:5432/test python ...  # PostgreSQL

1. A team list (name, host, member count) at 10, 100 and 1,000 teams: queries
   and time per page with SafeQuerySet against the naive 1 + N page.
2. Detector overhead: a 100-row page under ``detect("raise")`` over the same
   page without it; and, on a plain ``select_related``/``prefetch_related`` page,
   the CPU time per render with no detector, ``detect("raise")``, production
   ``detect("log")`` (``DEBUG = False``) and, with ``--zeal``, django-zeal's
   ``zeal_context()``, interleaved in one loop.
3. Peer fetching: a forgotten select_related on 1,000 rows with plain Django,
   with SafeQuerySet and (Django 6.1+) with ``fetch_mode(FETCH_PEERS)``.
4. With ``--zeal``: each shape of the scenario suite (``tests/scenarios.py``) at 3
   rows with plain managers, whether ``detect("raise")`` and ``zeal_context()``
   report it.

Needs moa-queries, moa-testsupport and Django installed; uses the test models.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
ZEAL = "--zeal" in sys.argv

import django  # noqa: E402
from django.conf import settings  # noqa: E402

if ZEAL:
    import tests.settings as test_settings

    settings.configure(
        **{
            name: getattr(test_settings, name)
            for name in dir(test_settings)
            if name.isupper() and name != "INSTALLED_APPS"
        },
        INSTALLED_APPS=[*test_settings.INSTALLED_APPS, "zeal"],
    )
django.setup()

from django.db import connection, models  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.template import Context, Template  # noqa: E402
from tests.testapp.models import Person, Team  # noqa: E402

from moa_queries import count_queries, detect  # noqa: E402

PAGE = Template(
    "{% for team in teams %}<li>{{ team.name }} {{ team.host.name }} "
    "{{ team.members.count }}</li>{% endfor %}"
)


def make_teams(n: int) -> None:
    Team.objects.all().delete()
    Person.objects.all().delete()
    hosts = Person.objects.bulk_create(Person(name=f"host{i}") for i in range(n))
    members = Person.objects.bulk_create(Person(name=f"member{i}") for i in range(2 * n))
    teams = Team.objects.bulk_create(
        Team(name=f"team{i}", host=host) for i, host in enumerate(hosts)
    )
    through = Team.members.through
    through.objects.bulk_create(
        through(team=team, person=members[2 * i + j])
        for i, team in enumerate(teams)
        for j in range(2)
    )


def measure(render: Callable[[], object], repeat: int) -> dict[str, Any]:
    with count_queries() as queries:
        render()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        render()
        times.append(time.perf_counter() - start)
    return {"queries": queries.count, "median_ms": round(statistics.median(times) * 1000, 2)}


def page(queryset: models.QuerySet[Team]) -> Callable[[], str]:
    return lambda: PAGE.render(Context({"teams": queryset.all()}))


def team_list() -> dict[str, Any]:
    results = {}
    for size in (10, 100, 1000):
        make_teams(size)
        repeat = 20 if size < 1000 else 5
        results[str(size)] = {
            "naive": measure(page(Team.plain.all()), repeat),
            "safe": measure(page(Team.objects.all()), repeat),
        }
    return results


def detector_overhead() -> dict[str, Any]:
    make_teams(100)
    render = page(Team.objects.all())

    def detected() -> object:
        with detect("raise"):
            return render()

    for _ in range(5):  # warm up both paths
        render()
        detected()
    plain, under = [], []
    for _ in range(60):
        for target, times in ((render, plain), (detected, under)):
            start = time.perf_counter()
            target()
            times.append(time.perf_counter() - start)
    ratio = statistics.median(under) / statistics.median(plain)
    return {
        "without_ms": round(statistics.median(plain) * 1000, 3),
        "raise_mode_ms": round(statistics.median(under) * 1000, 3),
        "ratio": round(ratio, 3),
    }


LIST_PAGE = Template(
    "{% for team in teams %}<li>{{ team.name }} {{ team.host.name }} "
    "{{ team.members.all|length }}</li>{% endfor %}"
)


def detectors() -> dict[str, Callable[[Callable[[], object]], object]]:
    """The detectors to compare, each wrapping one render."""

    def raise_mode(render: Callable[[], object]) -> object:
        with detect("raise"):
            return render()

    def log_mode(render: Callable[[], object]) -> object:
        with detect("log"):
            return render()

    found: dict[str, Callable[[Callable[[], object]], object]] = {
        "none": lambda render: render(),
        "moa_raise": raise_mode,
    }
    if not ZEAL:
        found["moa_log"] = log_mode
    else:
        from zeal import zeal_context

        def zeal_mode(render: Callable[[], object]) -> object:
            with zeal_context():
                return render()

        found["zeal"] = zeal_mode
    return found


def detector_cpu() -> dict[str, Any]:
    """CPU time per render of one plain, well-loaded 100-team page, per detector."""
    make_teams(100)
    settings.DEBUG = False

    def render() -> str:
        teams = Team.plain.select_related("host").prefetch_related("members")
        return LIST_PAGE.render(Context({"teams": teams.annotate(n=Count("tags"))}))

    wrappers = detectors()
    for wrap in wrappers.values():  # warm up every path
        for _ in range(5):
            wrap(render)
    times: dict[str, list[float]] = {name: [] for name in wrappers}
    for _ in range(80):
        for name, wrap in wrappers.items():
            start = time.process_time()
            wrap(render)
            times[name].append(time.process_time() - start)
    medians = {name: statistics.median(values) for name, values in times.items()}
    return {
        "cpu_ms": {name: round(value * 1000, 3) for name, value in medians.items()},
        "ratio": {
            name: round(value / medians["none"], 3)
            for name, value in medians.items()
            if name != "none"
        },
    }


def scenario_detection() -> list[dict[str, Any]]:
    """Run every scenario at 3 rows under each detector: reported or not."""
    from tests.scenarios import SCENARIOS, add_rows
    from zeal import zeal_context
    from zeal.errors import ZealError

    from moa_queries import NPlusOneError

    Team.objects.all().delete()
    Person.objects.all().delete()
    add_rows(3)
    results = []
    for scenario in SCENARIOS:
        row: dict[str, Any] = {"shape": scenario.name, "n_plus_one": scenario.n_plus_one}
        for name, context, error in (
            ("moa", lambda: detect("raise"), NPlusOneError),
            ("zeal", zeal_context, ZealError),
        ):
            try:
                with context():
                    scenario.run("plain")
            except error:
                row[name] = True
            else:
                row[name] = False
        results.append(row)
    return results


def peer_fetching() -> dict[str, Any]:
    make_teams(1000)

    def hosts(queryset: models.QuerySet[Team]) -> Callable[[], list[str]]:
        return lambda: [team.host.name for team in queryset.all()]

    results = {
        "plain_django": measure(hosts(Team.plain.all()), 5),
        "safe_queryset": measure(hosts(Team.objects.all()), 5),
    }
    if hasattr(models.QuerySet, "fetch_mode"):
        peers = Team.plain.fetch_mode(models.FETCH_PEERS)  # type: ignore[attr-defined]
        results["django_fetch_peers"] = measure(hosts(peers), 5)
    return results


def main() -> None:
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0)
    try:
        if ZEAL:
            report = {
                "django": django.get_version(),
                "detector_cpu": detector_cpu(),
                "scenarios": scenario_detection(),
            }
        else:
            report = {
                "django": django.get_version(),
                "python": sys.version.split()[0],
                "database": connection.vendor,
                "team_list": team_list(),
                "detector_overhead": detector_overhead(),
                "detector_cpu": detector_cpu(),
                "peer_fetching": peer_fetching(),
            }
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
