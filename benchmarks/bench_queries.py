"""moa-queries: a team list page with SafeQuerySet against the naive 1 + N page.

Runs ``packages/moa-queries/benchmarks_queries.py`` (which measures both pages, and the
detector with and without ``detect("raise")``, in one process) for several rounds and
reports medians, ratios and their spread. PostgreSQL when ``DATABASE_URL`` points at it.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "packages" / "moa-queries" / "benchmarks_queries.py"
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))


def spread(values: list[float]) -> dict[str, float]:
    return {
        "min": min(values),
        "max": max(values),
        "cv_pct": 100 * statistics.pstdev(values) / statistics.mean(values),
    }


def main() -> None:
    env = dict(os.environ)
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        env["MOA_TEST_DB"] = url
    runs: list[dict[str, Any]] = []
    for _ in range(ROUNDS):
        done = subprocess.run(
            [sys.executable, str(SCRIPT)],
            cwd=SCRIPT.parent,
            env=env,
            capture_output=True,
            text=True,
            check=True,
            timeout=900,
        )
        runs.append(json.loads(done.stdout))
    rows = []
    for size in ("100", "1000"):
        safe = [r["team_list"][size]["safe"]["median_ms"] for r in runs]
        naive = [r["team_list"][size]["naive"]["median_ms"] for r in runs]
        ratios = [s / n for s, n in zip(safe, naive, strict=True)]
        queries = runs[0]["team_list"][size]
        rows.append(
            {
                "what": f"team list, {size} teams ({queries['safe']['queries']} vs "
                f"{queries['naive']['queries']} queries)",
                "unit": "ms",
                "value": statistics.median(safe),
                "baseline": statistics.median(naive),
                "baseline_what": "naive 1 + N page",
                "ratio": statistics.median(ratios),
                "spread": spread(ratios),
            }
        )
    overhead = [r["detector_overhead"]["ratio"] for r in runs]
    rows.append(
        {
            "what": "100-team page under detect('raise')",
            "unit": "ms",
            "value": statistics.median(r["detector_overhead"]["raise_mode_ms"] for r in runs),
            "baseline": statistics.median(r["detector_overhead"]["without_ms"] for r in runs),
            "baseline_what": "same page, no detector",
            "ratio": statistics.median(overhead),
            "spread": spread(overhead),
            "goal": "ratio <= 1.10",
        }
    )
    print(
        json.dumps(
            {
                "name": "moa-queries",
                "setup": f"{runs[0]['database']}, Django {runs[0]['django']}, {ROUNDS} rounds",
                "rows": rows,
                "raw": runs,
            }
        )
    )


if __name__ == "__main__":
    main()
