"""moa-ops: probe throughput against a plain view, and readiness latency.

Both served by the same uvicorn process in the same run:
- requests/s of ``health/live/`` (answered by HealthProbeMiddleware) against a minimal
  JSON view behind Django's full default middleware stack (the baseline);
- ``health/ready/`` latency (median, p99) on PostgreSQL + Redis when reachable, against
  the plain view's latency measured the same way.

Prints one JSON document (see run.py for its shape).
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from loadgen import run_load
from measure import interleave, row

from moa_testsupport.servers import free_port, uvicorn_command, wait_for_port
from moa_testsupport.services import service_available
from moa_testsupport.settings import overlay_settings, sqlite_databases

HERE = Path(__file__).resolve().parent
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
TOTAL = int(os.environ.get("BENCH_REQUESTS", "4000"))
CONNECTIONS = 8
READY_SAMPLES = int(os.environ.get("BENCH_READY_SAMPLES", "800"))
READY_ROUNDS = int(os.environ.get("BENCH_READY_ROUNDS", "7"))
# The readiness paths measured side by side, each against django-health-check's view.
READY_PATHS = {
    "dhc": "/dhc/ready/?format=json",
    "moa_view": "/moa/ready/",
    "moa_probe": "/health/ready/",
}


def server_cpu_s(pid: int) -> Callable[[], float]:
    """A function returning the CPU seconds (user + system) ``pid`` has used so far."""
    ticks = os.sysconf("SC_CLK_TCK")

    def cpu_s() -> float:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / ticks

    return cpu_s


def measure_readiness(
    load: Callable[..., dict[str, float]], cpu_s: Callable[[], float]
) -> dict[str, Any]:
    """p99 and server CPU per probe at 1 and 8 connections, interleaved per round.

    Each round runs every path once, in a shuffled order, at each concurrency; each
    path's ratio is taken against django-health-check's view of the same round.
    """

    def probe(path: str, conns: int) -> Callable[[], dict[str, float]]:
        def run() -> dict[str, float]:
            before = cpu_s()
            figures = load(path, READY_SAMPLES, conns)
            assert figures["failures"] == 0, (path, figures)
            figures["cpu_ms_per_probe"] = 1000 * (cpu_s() - before) / figures["requests"]
            return figures

        return run

    for path in READY_PATHS.values():
        load(path, 100, CONNECTIONS)  # warm up
    raw: dict[str, Any] = {}
    rows: list[dict[str, Any]] = []
    for conns in (1, CONNECTIONS):
        runs = interleave(
            READY_ROUNDS, {name: probe(path, conns) for name, path in READY_PATHS.items()}
        )
        raw[str(conns)] = runs
        base = runs["dhc"]
        for name, what in (
            ("moa_probe", "health/ready/ (probe middleware)"),
            ("moa_view", "ReadinessView, same checks"),
        ):
            goals = {"p99_ms": "ratio <= 1.0" if conns > 1 else "< 20 ms", "cpu_ms_per_probe": None}
            for key, label in (("p99_ms", "p99"), ("cpu_ms_per_probe", "server CPU per probe")):
                rows.append(
                    row(
                        f"{what} {label}, {conns} connection(s)",
                        "ms",
                        [r[key] for r in runs[name]],
                        [r[key] for r in base],
                        "django-health-check HealthCheckView, Database + Cache, same rounds",
                        goal=goals[key],
                    )
                )
    return {"rows": rows, "raw": raw}


def prepare_database(tmp: Path) -> tuple[str, dict[str, Any], str | None]:
    """Create the run's database; return its description, ``DATABASES`` and what to drop.

    PostgreSQL (a database of this run's own) when ``DATABASE_URL`` points at a reachable
    one, else an SQLite file in ``tmp``.
    """
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres") and service_available("127.0.0.1", 5432):
        import dj_database_url
        import psycopg

        name = f"moa_bench_{os.getpid()}"
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        database = dj_database_url.parse(url.rsplit("/", 1)[0] + "/" + name, conn_max_age=600)
        return "postgresql", {"default": dict(database)}, name
    return "sqlite", sqlite_databases(tmp / "bench.sqlite3"), None


def migrate(env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "-m", "django", "migrate", "-v0"],
        env=env,
        cwd=HERE,
        check=True,
        timeout=300,
    )


def drop_database(name: str | None) -> None:
    if name:
        import psycopg

        with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def spread(values: list[float]) -> dict[str, float]:
    return {
        "min": min(values),
        "max": max(values),
        "cv_pct": 100 * statistics.pstdev(values) / statistics.mean(values),
    }


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="moa-bench-"))
    redis = service_available("127.0.0.1", 6379)
    database, databases, drop = prepare_database(tmp)
    settings = "ops.settings_redis" if redis else "ops.settings"
    env = os.environ | overlay_settings(tmp, settings, pythonpath=HERE, DATABASES=databases)
    migrate(env)

    def start(app: str) -> tuple[int, subprocess.Popen[bytes]]:
        port = free_port()
        server = subprocess.Popen(
            uvicorn_command(app, port, "--no-access-log"),
            env=env,
            cwd=HERE,
        )
        servers.append(server)
        wait_for_port(port, server)
        return port, server

    servers: list[subprocess.Popen[bytes]] = []
    try:
        port, _ = start("ops.asgi:application")
        # Idle while the first server is measured; measured in the same rounds.
        wrapped_port, _ = start("ops.asgi:wrapped")
        host = "bench.example.com"

        def load(path: str, total: int, conns: int, at: int | None = None) -> dict[str, float]:
            return asyncio.run(
                run_load(
                    "127.0.0.1",
                    at or port,
                    path,
                    total=total,
                    connections=conns,
                    host_header=host,
                )
            )

        load("/plain/", 500, CONNECTIONS)  # warm up both paths
        load("/health/live/", 500, CONNECTIONS)
        load("/health/live/", 500, CONNECTIONS, at=wrapped_port)
        live_rps, plain_rps, ratios, asgi_rps, asgi_ratios = [], [], [], [], []
        for round_ in range(ROUNDS):
            order = (
                ["/health/live/", "/plain/"] if round_ % 2 == 0 else ["/plain/", "/health/live/"]
            )
            figures = {path: load(path, TOTAL, CONNECTIONS) for path in order}
            assert all(f["failures"] == 0 for f in figures.values()), figures
            live_rps.append(figures["/health/live/"]["rps"])
            plain_rps.append(figures["/plain/"]["rps"])
            ratios.append(live_rps[-1] / plain_rps[-1])
            asgi = load("/health/live/", TOTAL, CONNECTIONS, at=wrapped_port)
            assert asgi["failures"] == 0, asgi
            asgi_rps.append(asgi["rps"])
            asgi_ratios.append(asgi_rps[-1] / plain_rps[-1])

        readiness = measure_readiness(load, server_cpu_s(servers[0].pid))
    finally:
        for server in servers:
            server.terminate()
            server.wait(20)
        drop_database(drop)

    services = f"{database} + {'Redis' if redis else 'locmem cache, no channel layer'}"
    result = {
        "name": "moa-ops probes",
        "setup": f"uvicorn, 1 process; {CONNECTIONS} keep-alive connections; "
        f"{ROUNDS} rounds of {TOTAL} requests; readiness on {services}",
        "rows": [
            {
                "what": "health/live/ throughput, HealthProbeMiddleware",
                "unit": "req/s",
                "value": statistics.median(live_rps),
                "baseline": statistics.median(plain_rps),
                "baseline_what": "plain JSON view, full middleware",
                "ratio": statistics.median(ratios),
                "spread": spread(ratios),
                "goal": "ratio >= 3",
            },
            {
                "what": "health/live/ throughput, LiveProbeASGIMiddleware",
                "unit": "req/s",
                "value": statistics.median(asgi_rps),
                "baseline": statistics.median(plain_rps),
                "baseline_what": "plain JSON view, full middleware",
                "ratio": statistics.median(asgi_ratios),
                "spread": spread(asgi_ratios),
                "goal": "ratio >= 3",
            },
            *readiness["rows"],
        ],
        "raw": {
            "live_rps": live_rps,
            "asgi_live_rps": asgi_rps,
            "plain_rps": plain_rps,
            "readiness": readiness["raw"],
        },
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
