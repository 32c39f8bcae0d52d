"""CPU time per request of the demo's team list under one detector, in this process.

    cd benchmarks && PYTHONPATH=../examples/teammoa \
        DJANGO_SETTINGS_MODULE=queries.detectors.moa_log python -m queries.team_list TEAMS REQUESTS

(``bench_detectors.py`` runs it so, once per module of ``queries/detectors/``.)

Builds ``TEAMS`` teams (a host and two members each), logs one member in, and asks
for ``/teams/`` ``REQUESTS`` times after a warm-up; prints one JSON line with the
median CPU and wall time per request, the queries per page and the detector. With
``moa_log``, requests alternate with a client whose handler has no detector
(``same_process_without_cpu_ms``).
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from typing import Any

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.test.client import ClientHandler  # noqa: E402
from teams.models import Team  # noqa: E402


def build(teams: int) -> Client:
    call_command("migrate", verbosity=0)
    User = get_user_model()
    users = User.objects.bulk_create(
        User(username=f"user{i}", email=f"user{i}@example.com") for i in range(3 * teams)
    )
    rows = Team.objects.bulk_create(
        Team(name=f"team {i}", host=users[3 * i], invite_code=f"code{i}") for i in range(teams)
    )
    through = Team.members.through
    through.objects.bulk_create(
        through(team=team, user=users[3 * i + j]) for i, team in enumerate(rows) for j in (1, 2)
    )
    client = Client()
    client.force_login(users[1])
    return client


def timed(client: Client) -> tuple[float, float]:
    started_cpu, started_wall = time.process_time(), time.perf_counter()
    response = client.get("/teams/")
    cpu, wall = time.process_time() - started_cpu, time.perf_counter() - started_wall
    assert response.status_code == 200
    return cpu, wall


def with_middleware(client: Client, middleware: list[str]) -> Client:
    """A client logged in as ``client`` is, whose handler runs ``middleware``.

    Beside production ``log`` mode, a second one without moa's middleware: that mode
    patches nothing, so this process's ORM is Django's own, and only the query hook
    (one check per query while no detector session runs) stays installed. Both are
    built this same way, so that they differ in the middleware only.
    """
    built = Client()
    built.cookies = client.cookies
    handler = ClientHandler()
    with override_settings(MIDDLEWARE=middleware):
        handler.load_middleware()
    built.handler = handler
    return built


def detector_own_cpu_ms(queries: list[tuple[str, Any]], repeat: int = 5000) -> float:
    """CPU per request of what production ``log`` mode adds, timed on its own.

    The middleware's detector block around one request, and the execute wrapper
    with the detector's hook for each of the page's queries (the database call
    itself stubbed out): what the page pays beyond Django's own work.
    """
    from moa_queries.middleware import request_detector
    from moa_queries.tracking import _track_query

    context = {"connection": connection}

    def run_nothing(sql: str, params: Any, many: bool, context: Any) -> None:
        return None

    started = time.process_time()
    for _ in range(repeat):
        with request_detector():
            for sql, params in queries:
                _track_query(run_nothing, sql, params, False, context)
    return 1000 * (time.process_time() - started) / repeat


def main() -> None:
    teams, requests = (int(arg) for arg in sys.argv[1:3])
    detector = settings.BENCH_DETECTOR
    client = build(teams)
    plain = None
    if detector == "moa_log":
        plain = with_middleware(
            client, [name for name in settings.MIDDLEWARE if "NPlusOneMiddleware" not in name]
        )
        client = with_middleware(client, list(settings.MIDDLEWARE))
    for _ in range(10):
        timed(client)
        if plain is not None:
            timed(plain)
    queries: list[tuple[str, Any]] = []

    def count(execute: Any, sql: str, params: Any, *args: Any) -> Any:
        queries.append((sql, params))
        return execute(sql, params, *args)

    with connection.execute_wrapper(count):
        client.get("/teams/")
    samples, pairs = [], []
    # The pairs measure a difference of a few percent at most: three times the samples.
    for i in range(requests * 3 if plain is not None else requests):
        if plain is not None and i % 2:
            # Which of the two goes first alternates: the second of a pair pays
            # for the first one's garbage.
            pairs.append(timed(plain))
            samples.append(timed(client))
            continue
        samples.append(timed(client))
        if plain is not None:
            pairs.append(timed(plain))
    result: dict[str, Any] = {
        "detector": detector,
        "django": django.get_version(),
        "queries": len(queries),
        "cpu_ms": 1000 * statistics.median(cpu for cpu, _ in samples),
        "wall_ms": 1000 * statistics.median(wall for _, wall in samples),
    }
    if pairs:
        result["same_process_without_cpu_ms"] = 1000 * statistics.median(cpu for cpu, _ in pairs)
        result["detector_own_cpu_ms"] = detector_own_cpu_ms(queries)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
