"""N+1 detectors on the demo's team list: moa-queries' two modes and django-zeal.

Each detector runs in a process of its own (``python -m queries.team_list`` with its
settings module from ``queries/detectors/``, the demo on ``PYTHONPATH``): zeal patches
the ORM when its app loads and moa-queries' ``raise`` mode installs its hooks on first
use, so only a new process gives the page without either. Every round runs one
process per detector, in a shuffled order; a process reports the median CPU (and
wall) time per request of ``/teams/`` with 100 teams (4 queries) after a warm-up.
Each ratio is taken against the no-detector process of the same round. Production
``log`` mode patches nothing, so its process also alternates its requests with a
handler that has no ``NPlusOneMiddleware``: a comparison without the spread between
processes, which on a shared machine is larger than the 2% that mode may cost. It
is still noisier than that cost, so the process also times what the mode adds on its
own (the detector block and the query hooks, 5,000 times over): page plus that, over
page, is the row the goal is read from.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

from measure import row

HERE = Path(__file__).resolve().parent
DEMO = HERE.parent / "examples" / "teammoa"
ROUNDS = int(os.environ.get("BENCH_DETECTOR_ROUNDS", "9"))
TEAMS, REQUESTS = 100, 60
DETECTORS = {
    "moa_log": ("moa-queries NPlusOneMiddleware, production log mode", None),
    "moa_raise": ("moa-queries NPlusOneMiddleware, raise mode", "ratio <= 1.10"),
    "zeal": ("django-zeal middleware", None),
}


def measure(detector: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "queries.team_list", str(TEAMS), str(REQUESTS)],
        cwd=HERE,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": f"queries.detectors.{detector}",
            "PYTHONPATH": os.pathsep.join(filter(None, [str(DEMO), os.environ.get("PYTHONPATH")])),
            "PYTHONHASHSEED": "0",
        },
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    names = ["none", *DETECTORS]
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
    shuffle = random.Random(17).shuffle
    for _ in range(ROUNDS):
        shuffle(names)
        for name in names:
            runs[name].append(measure(name))
    cpu = {name: [r["cpu_ms"] for r in results] for name, results in runs.items()}
    wall = {name: [r["wall_ms"] for r in results] for name, results in runs.items()}
    queries = {r["queries"] for results in runs.values() for r in results}
    rows = []
    for name, (what, goal) in DETECTORS.items():
        rows.append(
            row(
                f"demo team list, CPU per request, {what}",
                "ms",
                cpu[name],
                cpu["none"],
                "no detector, same rounds",
                goal=goal,
            )
        )
        rows.append(
            row(
                f"demo team list, wall per request, {what}",
                "ms",
                wall[name],
                wall["none"],
                "no detector, same rounds",
            )
        )
    log = runs["moa_log"]
    rows.insert(
        0,
        row(
            "demo team list, CPU per request, moa-queries production log mode, alternating "
            "in one process with a handler without the middleware",
            "ms",
            [r["cpu_ms"] for r in log],
            [r["same_process_without_cpu_ms"] for r in log],
            "no detector, same process",
        ),
    )
    rows.insert(
        1,
        row(
            "demo team list, CPU per request, moa-queries production log mode: the page "
            "without it plus its own work (detector block and query hooks) timed alone",
            "ms",
            [r["same_process_without_cpu_ms"] + r["detector_own_cpu_ms"] for r in log],
            [r["same_process_without_cpu_ms"] for r in log],
            "no detector, same process",
            goal="ratio <= 1.02",
            own_cpu_ms=statistics.median(r["detector_own_cpu_ms"] for r in log),
        ),
    )
    rows.append(
        row(
            "demo team list, CPU per request, moa-queries raise mode",
            "ms",
            cpu["moa_raise"],
            cpu["zeal"],
            "django-zeal, same rounds",
            goal="ratio < 1",
        )
    )
    print(
        json.dumps(
            {
                "name": "N+1 detectors",
                "setup": f"Django {runs['none'][0]['django']}, SQLite in memory, {TEAMS} teams, "
                f"{sorted(queries)} queries per page, {ROUNDS} rounds of one process per "
                f"detector, median of {REQUESTS} requests each",
                "rows": rows,
                "raw": runs,
            }
        )
    )


if __name__ == "__main__":
    main()
