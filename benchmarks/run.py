"""Run every benchmark; write JSON results and a Markdown table to benchmarks/results/.

Each benchmark is a script (``benchmarks/bench_*.py``) that prints one JSON document:
``{"name", "setup", "rows": [{"what", "unit", "value", "baseline", "baseline_what",
"ratio", "spread": {"min", "max", "cv_pct"}, "goal"?}], "raw": {...}}``: every figure is
given against a baseline measured in the same run, with the spread of the per-round
*ratios* over repeated rounds (``measure.py`` says how). Each result records the machine's
load averages before and after it ran: on a shared machine the figures mean little
without them.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from measure import load

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"


def machine() -> str:
    return (
        f"{platform.python_implementation()} {platform.python_version()}, "
        f"{os.cpu_count()} cores, {platform.machine()}, {time.strftime('%Y-%m-%d')}"
    )


def table(results: list[dict[str, Any]]) -> list[str]:
    """The Markdown table of ``results``, each benchmark followed by its setup line."""
    lines = [
        "# Benchmark results",
        "",
        "Each benchmark's machine and date are on the line under its rows; "
        "`make bench` (or `benchmarks/run.py NAME`) refreshes them.",
        "",
    ]
    for result in results:
        lines += [
            "| benchmark | figure | value | baseline | ratio | ratio spread (min-max, CV) | goal |",
            "|---|---|---|---|---|---|---|",
        ]
        for row in result["rows"]:
            s = row["spread"]
            lines.append(
                f"| {result['name']} | {row['what']} | {row['value']:.2f} {row['unit']} | "
                f"{row['baseline']:.2f} {row['unit']} ({row['baseline_what']}) | "
                f"{row['ratio']:.2f}x | {s['min']:.2f}-{s['max']:.2f}, {s['cv_pct']:.1f}% | "
                f"{row.get('goal', '')} |"
            )
        machine_line = result.get("machine", "machine not recorded")
        lines += ["", f"{result['name']}: {result['setup']}; {machine_line}"]
        if "load" in result:
            before, after = result["load"]["before"], result["load"]["after"]
            lines.append(
                f"load average (1, 5, 15 min) before: {before}, after: {after}, "
                f"on {os.cpu_count()} cores"
            )
        lines.append("")
    return lines


def main(selected: list[str]) -> int:
    """Run the benchmarks named in ``selected`` (all when empty); rebuild the table.

    The table holds the latest result of every benchmark, so running one of them
    refreshes its rows and keeps the others'.
    """
    RESULTS.mkdir(exist_ok=True)
    scripts = sorted(HERE.glob("bench_*.py"))
    if selected:
        scripts = [s for s in scripts if any(name in s.stem for name in selected)]
    status = 0
    skipped: list[str] = []
    for script in scripts:
        print(f"== {script.name}", flush=True)
        load_before = load()
        done = subprocess.run(
            [sys.executable, str(script)],
            cwd=HERE,
            capture_output=True,
            text=True,
            check=False,
            timeout=1800,
        )
        if done.returncode:
            print(done.stdout, done.stderr, sep="\n")
            status = 1
            continue
        result = json.loads(done.stdout.strip().splitlines()[-1])
        if "skipped" in result:
            skipped.append(f"{result['name']}: skipped in the last run, {result['skipped']}")
            continue
        result["machine"] = machine()
        result["load"] = {"before": load_before, "after": load()}
        (RESULTS / f"{script.stem.removeprefix('bench_')}.json").write_text(
            json.dumps(result, indent=2) + "\n"
        )
    results = [json.loads(path.read_text()) for path in sorted(RESULTS.glob("*.json"))]
    lines = table(results)
    for line in skipped:
        lines += [line, ""]
    (RESULTS / "README.md").write_text("\n".join(lines).rstrip() + "\n")
    print("\n".join(lines))
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
