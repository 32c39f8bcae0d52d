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
from pathlib import Path

from loadgen import run_load

from moa_testsupport.servers import free_port, uvicorn_command, wait_for_port
from moa_testsupport.services import service_available

HERE = Path(__file__).resolve().parent
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
TOTAL = int(os.environ.get("BENCH_REQUESTS", "4000"))
CONNECTIONS = 8
READY_SAMPLES = int(os.environ.get("BENCH_READY_SAMPLES", "1000"))


def prepare_database(env: dict[str, str]) -> str:
    """Return a description of the database; create and migrate it."""
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres") and service_available("127.0.0.1", 5432):
        import psycopg

        name = f"moa_bench_{os.getpid()}"
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        env["BENCH_DATABASE_URL"] = url.rsplit("/", 1)[0] + "/" + name
        env["BENCH_DROP_DB"] = name
        database = "postgresql"
    else:
        database = "sqlite"
    subprocess.run(
        [sys.executable, "-m", "django", "migrate", "-v0"],
        env=env,
        cwd=HERE,
        check=True,
        timeout=300,
    )
    return database


def drop_database(env: dict[str, str]) -> None:
    name = env.get("BENCH_DROP_DB")
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
    tmp = tempfile.mkdtemp(prefix="moa-bench-")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "opsbench.settings",
        "PYTHONPATH": str(HERE),
        "BENCH_SQLITE": f"{tmp}/bench.sqlite3",
    }
    redis = service_available("127.0.0.1", 6379)
    if redis:
        env["BENCH_REDIS_URL"] = "redis://127.0.0.1:6379/3"
    database = prepare_database(env)

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
        port, _ = start("opsbench.asgi:application")
        # Idle while the first server is measured; measured in the same rounds.
        wrapped_port, _ = start("opsbench.asgi:wrapped")
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

        ready_median, ready_p99, plain_median, plain_p99 = [], [], [], []
        for _ in range(3):
            ready = load("/health/ready/", READY_SAMPLES, 1)
            assert ready["failures"] == 0, "readiness failed during the benchmark"
            plain = load("/plain/", READY_SAMPLES, 1)
            ready_median.append(ready["median_ms"])
            ready_p99.append(ready["p99_ms"])
            plain_median.append(plain["median_ms"])
            plain_p99.append(plain["p99_ms"])
    finally:
        for server in servers:
            server.terminate()
            server.wait(20)
        drop_database(env)

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
            {
                "what": "health/ready/ latency median",
                "unit": "ms",
                "value": statistics.median(ready_median),
                "baseline": statistics.median(plain_median),
                "baseline_what": "plain view latency, same client",
                "ratio": statistics.median(ready_median) / statistics.median(plain_median),
                "spread": spread(ready_median),
            },
            {
                "what": "health/ready/ latency p99",
                "unit": "ms",
                "value": statistics.median(ready_p99),
                "baseline": statistics.median(plain_p99),
                "baseline_what": "plain view p99, same client",
                "ratio": statistics.median(ready_p99) / statistics.median(plain_p99),
                "spread": spread(ready_p99),
                "goal": "< 20 ms",
            },
        ],
        "raw": {
            "live_rps": live_rps,
            "asgi_live_rps": asgi_rps,
            "plain_rps": plain_rps,
            "ready_median_ms": ready_median,
            "ready_p99_ms": ready_p99,
            "plain_median_ms": plain_median,
            "plain_p99_ms": plain_p99,
        },
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
