"""moa-queries: a list page on declared ``QueryDefaults`` against the same joins written by hand.

The page (``python -m queries.declared_defaults``, SQLite in memory) lists 1,000 clubs
with their owner and member count. ``Club`` (``queries/pages/models.py``) declares
``select_related = ("owner",)`` and ``prefetch_related = ("members",)``; the baseline
is a plain ``QuerySet(Club).select_related("owner").prefetch_related("members")``
rendering the same template. Both run in one process, interleaved in every round; a
sample is ``BATCH`` renders back to back, so the garbage collector's pauses, which fall
on whichever page runs when a generation fills, are spread over both rather than
deciding a round. CPU time per render is the headline; wall time is beside it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from measure import row

HERE = Path(__file__).resolve().parent
ROUNDS = int(os.environ.get("BENCH_DEFAULTS_ROUNDS", "15"))
BATCH = int(os.environ.get("BENCH_BATCH", "5"))
SIZE = 1000


def main() -> None:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "queries.settings"}
    env.pop("DATABASE_URL", None)  # SQLite in memory
    done = subprocess.run(
        [sys.executable, "-m", "queries.declared_defaults", str(SIZE), str(ROUNDS), str(BATCH)],
        cwd=HERE,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=900,
    )
    runs = json.loads(done.stdout.strip().splitlines()[-1])
    rows = [
        row(
            f"{SIZE}-club list page, declared QueryDefaults, {label} per render",
            "ms",
            [r[key] for r in runs["defaults"]],
            [r[key] for r in runs["by_hand"]],
            "select_related/prefetch_related by hand, same rounds",
            goal="ratio <= 1.2" if key == "cpu_ms" else None,
        )
        for key, label in (("cpu_ms", "CPU"), ("wall_ms", "wall"))
    ]
    print(
        json.dumps(
            {
                "name": "moa-queries defaults",
                "setup": f"{runs['vendor']}, {ROUNDS} rounds interleaved, "
                f"{BATCH} renders per sample, 3 queries each",
                "rows": rows,
                "raw": runs,
            }
        )
    )


if __name__ == "__main__":
    main()
