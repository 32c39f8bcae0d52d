"""moa-queries: a team list page with SafeQuerySet against the naive 1 + N page.

Runs ``python -m queries.list_pages`` (which measures both pages, the detector with and
without ``detect("raise")``, and peer fetching against plain Django and Django 6.1's
``FETCH_PEERS``, in one process, on the models of ``queries/pages/``) for several rounds
and reports medians, ratios and their spread. PostgreSQL when ``DATABASE_URL`` points at it.
Detectors side by side (production ``log`` mode, django-zeal) are ``bench_detectors.py``.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))


def spread(values: list[float]) -> dict[str, float]:
    return {
        "min": min(values),
        "max": max(values),
        "cv_pct": 100 * statistics.pstdev(values) / statistics.mean(values),
    }


def peer_rows(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A forgotten ``select_related`` on 1,000 rows: SafeQuerySet against plain Django
    and, on Django 6.1+, against Django's own ``FETCH_PEERS`` fetch mode."""
    first = runs[0]["peer_fetching"]
    safe = [r["peer_fetching"]["safe_queryset"]["median_ms"] for r in runs]
    rows = []
    for key, label in (
        ("plain_django", "plain Django"),
        ("django_fetch_peers", "Django FETCH_PEERS"),
    ):
        if key not in first:
            continue
        other = [r["peer_fetching"][key]["median_ms"] for r in runs]
        ratios = [s / o for s, o in zip(safe, other, strict=True)]
        rows.append(
            {
                "what": f"1,000 teams, team.host without select_related "
                f"({first['safe_queryset']['queries']} vs {first[key]['queries']} queries)",
                "unit": "ms",
                "value": statistics.median(safe),
                "baseline": statistics.median(other),
                "baseline_what": f"{label}, same loop",
                "ratio": statistics.median(ratios),
                "spread": spread(ratios),
            }
        )
    return rows


def run_script(env: dict[str, str], *args: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "queries.list_pages", *args],
        cwd=HERE,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=900,
    )
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def main() -> None:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "queries.settings"}
    if not env.get("DATABASE_URL", "").startswith("postgres"):
        env.pop("DATABASE_URL", None)  # SQLite in memory
    runs: list[dict[str, Any]] = []
    for _ in range(ROUNDS):
        runs.append(run_script(env))
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
    rows += peer_rows(runs)
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
