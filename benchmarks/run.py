"""Run every benchmark; write JSON results and a Markdown table to benchmarks/results/.

Each benchmark is a script (``benchmarks/bench_*.py``) that prints one JSON document:
``{"name", "setup", "rows": [{"what", "unit", "value", "baseline", "baseline_what",
"ratio", "spread": {"min", "max", "cv_pct"}, "goal"?}], "raw": {...}}``: every figure is
given against a baseline measured in the same run, with the spread over repeated rounds.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"


def machine() -> str:
    return (
        f"{platform.python_implementation()} {platform.python_version()}, "
        f"{os.cpu_count()} cores, {platform.machine()}, {time.strftime('%Y-%m-%d')}"
    )


def main(selected: list[str]) -> int:
    RESULTS.mkdir(exist_ok=True)
    scripts = sorted(HERE.glob("bench_*.py"))
    if selected:
        scripts = [s for s in scripts if any(name in s.stem for name in selected)]
    lines = [
        "# Benchmark results",
        "",
        f"Machine: {machine()}",
        "",
        "| benchmark | figure | value | baseline | ratio | spread (min-max, CV) | goal |",
        "|---|---|---|---|---|---|---|",
    ]
    status = 0
    for script in scripts:
        print(f"== {script.name}", flush=True)
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
            lines += ["", f"{result['name']}: skipped, {result['skipped']}", ""]
            continue
        result["machine"] = machine()
        (RESULTS / f"{script.stem.removeprefix('bench_')}.json").write_text(
            json.dumps(result, indent=2) + "\n"
        )
        for row in result["rows"]:
            s = row["spread"]
            lines.append(
                f"| {result['name']} | {row['what']} | {row['value']:.2f} {row['unit']} | "
                f"{row['baseline']:.2f} {row['unit']} ({row['baseline_what']}) | "
                f"{row['ratio']:.2f}x | {s['min']:.2f}-{s['max']:.2f}, {s['cv_pct']:.1f}% | "
                f"{row.get('goal', '')} |"
            )
        lines += ["", f"{result['name']}: {result['setup']}", ""]
    (RESULTS / "README.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
