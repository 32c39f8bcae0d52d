"""moa-mindmap: fan-out to 50 clients, against a bare ``websockets`` broadcast in the same run.

Runs ``benchmarks/mindmap/fanout.py``: every server stays up, and within each round
each rate is measured on every server in a shuffled order. Rows give the sustained
op rate from the pooled median p99 per rate over rounds (never from one round), its
ratio to the bare server's with the spread of the per-round ratios, CPU time per
delivery beside it, and the deliveries lost, counted per client by op id and
sequence number. ``BENCH_ROUNDS`` (3), ``BENCH_MINDMAP_RATES`` and
``BENCH_MINDMAP_SECONDS`` (2) size the run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROUNDS = os.environ.get("BENCH_ROUNDS", "3")
RATES = os.environ.get("BENCH_MINDMAP_RATES", "10,25,50,100,200,400,800")
SECONDS = os.environ.get("BENCH_MINDMAP_SECONDS", "2")

LABELS = {
    "memory": "Moa, in-memory layer, 1 process",
    "redis": "Moa, Redis layer, 2 processes",
    "naive": "naive Channels consumer",
}


def rows(result: dict[str, Any]) -> list[dict[str, Any]]:
    summary = result["summary"]
    bare = summary["bare"]
    out = []
    for name, label in LABELS.items():
        if name not in summary:
            continue
        ours = summary[name]
        lost = sum(step["lost"] for step in ours["rates"])
        due = sum(step["due"] for step in ours["rates"])
        gaps = sum(step["seq_gaps"] for step in ours["rates"])
        cpu = [step["cpu_ratio_to_bare"].get("median") for step in ours["rates"]]
        cpu_known = [value for value in cpu if value is not None]
        out.append(
            {
                "what": f"ops/s at pooled median p99 <= {result['p99_budget_ms']:g} ms, "
                f"{result['clients']} clients, {label}; lost {lost} of {due} deliveries "
                f"({gaps} sequence gaps); CPU per delivery "
                f"{min(cpu_known, default=0):.1f}-{max(cpu_known, default=0):.1f}x bare's",
                "unit": "ops/s",
                # No rate within the budget reads as 0, never as a figure from one round.
                "value": ours["sustained_ops_per_s"] or 0.0,
                "baseline": bare["sustained_ops_per_s"] or 0.0,
                "baseline_what": f"bare websockets broadcast, same rounds "
                f"({ours['sustained_note']}; capped at {result['rates'][-1]})",
                "ratio": ours.get("sustained_ratio_to_bare") or 0.0,
                "spread": ours.get("sustained_ratio_spread"),
                "goal": ">= 0.8x the bare server, CPU per delivery <= 2x, 0 lost",
            }
        )
    return out


def main() -> None:
    command = [sys.executable, "fanout.py", "--rounds", ROUNDS, "--rates", RATES]
    done = subprocess.run(
        [*command, "--seconds", SECONDS],
        cwd=HERE / "mindmap",
        capture_output=True,
        text=True,
        check=True,
        timeout=3600,
    )
    result = json.loads(done.stdout)
    print(
        json.dumps(
            {
                "name": "moa-mindmap fan-out",
                "setup": f"{ROUNDS} rounds interleaved per rate; 10 senders, "
                f"{result['clients']} clients; SQLite; load {result['load_before']} before, "
                f"{result['load_after']} after",
                "rows": rows(result),
                "raw": result,
            }
        )
    )


if __name__ == "__main__":
    main()
