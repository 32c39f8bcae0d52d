"""moa-mindmap: fan-out to 50 clients against a naive consumer and a bare server.

Runs ``packages/moa-mindmap/benchmarks_mindmap.py`` (every server swept in each round,
so ratios share the machine's load) and reports the sustainable op rate within a
100 ms p99, with the naive Channels consumer as baseline and the spread over rounds.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "packages" / "moa-mindmap"
ROUNDS = os.environ.get("BENCH_ROUNDS", "3")


def cv(values: list[float]) -> float:
    mean = statistics.mean(values)
    return 100 * statistics.pstdev(values) / mean if mean else 0.0


def main() -> None:
    done = subprocess.run(
        [sys.executable, "benchmarks_mindmap.py", "--rounds", ROUNDS],
        cwd=PACKAGE,
        capture_output=True,
        text=True,
        check=True,
        timeout=3000,
    )
    result = json.loads(done.stdout)
    rounds = result["rounds"]
    rows = []
    for server, label in (
        ("moa_inmemory_1_process", "in-memory layer, 1 process"),
        ("moa_redis_2_processes", "Redis layer, 2 processes"),
    ):
        if server not in rounds[0]:
            continue
        ours = [r[server]["sustained_ops_per_s"] for r in rounds]
        naive = [r["naive_consumer_1_process"]["sustained_ops_per_s"] for r in rounds]
        # A naive consumer failing the lowest rate (5 ops/s) is slower than that.
        speedups = [o / (n or 5) for o, n in zip(ours, naive, strict=True)]
        rows.append(
            {
                "what": f"ops/s sustained at p99 <= 100 ms, 50 clients, {label}",
                "unit": "ops/s",
                "value": statistics.median(ours),
                "baseline": statistics.median(naive),
                "baseline_what": "naive Channels consumer",
                "ratio": statistics.median(speedups),
                "spread": {"min": min(speedups), "max": max(speedups), "cv_pct": cv(speedups)},
                "goal": ">= 100 ops/s and >= 2x naive" if "1 process" in label else "",
            }
        )
    ceiling = [r["bare_websockets_ceiling"]["sustained_ops_per_s"] for r in rounds]
    fractions = [r["fraction_of_ceiling"] for r in rounds if r.get("fraction_of_ceiling")]
    rows.append(
        {
            "what": "fraction of the bare websockets ceiling (1 process)",
            "unit": "ops/s",
            "value": statistics.median(
                r["moa_inmemory_1_process"]["sustained_ops_per_s"] for r in rounds
            ),
            "baseline": statistics.median(ceiling),
            "baseline_what": "bare websockets broadcast, no Django (upper bound when capped)",
            "ratio": statistics.median(fractions) if fractions else 0.0,
            "spread": {
                "min": min(fractions, default=0.0),
                "max": max(fractions, default=0.0),
                "cv_pct": cv(fractions) if fractions else 0.0,
            },
        }
    )
    print(
        json.dumps(
            {
                "name": "moa-mindmap fan-out",
                "setup": f"{ROUNDS} rounds; 10 senders, 50 clients; SQLite; rates 5-1200 ops/s",
                "rows": rows,
                "raw": result,
            }
        )
    )


if __name__ == "__main__":
    main()
