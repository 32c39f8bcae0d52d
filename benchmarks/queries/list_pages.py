"""Benchmarks of moa-queries, printed as JSON; each compares within one run.

    cd benchmarks && DJANGO_SETTINGS_MODULE=queries.settings python -m queries.list_pages

(``bench_queries.py`` runs it so.) SQLite in memory; PostgreSQL when ``DATABASE_URL``
points at it.

1. A team list (name, host, member count) at 10, 100 and 1,000 teams: queries
   and time per page with SafeQuerySet against the naive 1 + N page.
2. Detector overhead: a 100-row page under ``detect("raise")`` over the same
   page without it, interleaved in one loop. (Detectors side by side, django-zeal
   included, are ``benchmarks/bench_detectors.py``, on the demo's team list.)
3. Peer fetching: a forgotten select_related on 1,000 rows with plain Django,
   with SafeQuerySet and (Django 6.1+) with ``fetch_mode(FETCH_PEERS)``.

Needs moa-queries, Django and dj-database-url; the models are ``queries.pages``'.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import django

django.setup()

from django.db import connection, models  # noqa: E402
from django.template import Context, Template  # noqa: E402

from moa_queries import count_queries, detect  # noqa: E402
from queries.pages.models import Team  # noqa: E402
from queries.pages.rows import add_teams  # noqa: E402

PAGE = Template(
    "{% for team in teams %}<li>{{ team.name }} {{ team.host.name }} "
    "{{ team.members.count }}</li>{% endfor %}"
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
        add_teams(size)
        repeat = 20 if size < 1000 else 5
        results[str(size)] = {
            "naive": measure(page(Team.plain.all()), repeat),
            "safe": measure(page(Team.objects.all()), repeat),
        }
    return results


def detector_overhead() -> dict[str, Any]:
    add_teams(100)
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


def peer_fetching() -> dict[str, Any]:
    add_teams(1000)

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
        report = {
            "django": django.get_version(),
            "python": sys.version.split()[0],
            "database": connection.vendor,
            "team_list": team_list(),
            "detector_overhead": detector_overhead(),
            "peer_fetching": peer_fetching(),
        }
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
