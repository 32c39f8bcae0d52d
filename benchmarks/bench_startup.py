"""Start-up: ``django.setup()`` of the demo against a bare ``django-admin startproject``.

Each sample is a fresh interpreter timing ``import django; django.setup()`` (wall and
CPU); the bare project, the demo (``moa_ops.devserver`` first) and the demo as it was
before, with daphne's app first, run interleaved in every round. A fourth subject times
``import moa_ops.urls`` with the moa-ops benchmark's settings (``ops/``), against
importing ``django.urls`` alone.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from measure import interleave, row

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "examples" / "teammoa"
HERE = Path(__file__).resolve().parent
ROUNDS = int(os.environ.get("BENCH_STARTUP_ROUNDS", "15"))

TIMED = """
import json, sys, time
wall, cpu = time.perf_counter(), time.process_time()
{code}
print(json.dumps({{"wall_ms": 1000 * (time.perf_counter() - wall),
                  "cpu_ms": 1000 * (time.process_time() - cpu),
                  "modules": sorted({{m.split(".")[0] for m in sys.modules}}
                                    & {{"redis", "dns", "health_check", "twisted"}})}}))
"""
SETUP = "import django\ndjango.setup()"


def sample(
    cwd: Path, settings: str, code: str = SETUP, *, extra_path: Path | None = None
) -> Callable[[], dict[str, float]]:
    path = os.pathsep.join(str(p) for p in (cwd, extra_path) if p)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": settings, "PYTHONPATH": path}

    def run() -> dict[str, float]:
        done = subprocess.run(
            [sys.executable, "-c", TIMED.format(code=code)],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        )
        result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
        return result

    return run


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="moa-bench-startup-") as tmp:
        bare = Path(tmp)
        subprocess.run(
            [sys.executable, "-m", "django", "startproject", "bare", str(bare)],
            check=True,
            timeout=60,
        )
        # What the demo and the template shipped before moa_ops.devserver: daphne's app
        # first, which imports Twisted in every process that starts Django.
        (bare / "withdaphne.py").write_text(
            "from teammoa.settings.demo import *  # noqa: F403\n"
            "INSTALLED_APPS = ['daphne', *[a for a in INSTALLED_APPS  # noqa: F405\n"
            "                              if a != 'moa_ops.devserver']]\n"
        )
        subjects = {
            "bare": sample(bare, "bare.settings"),
            "demo": sample(DEMO, "teammoa.settings.demo"),
            "demo_with_daphne": sample(DEMO, "withdaphne", extra_path=bare),
            "ops_urls": sample(HERE, "ops.settings", "import moa_ops.urls"),
            "django_urls": sample(HERE, "ops.settings", "import django.urls"),
        }
        for subject in subjects.values():
            subject()  # warm the file system cache and .pyc files
        runs = interleave(ROUNDS, subjects)
    rows = []
    for name, what in (
        ("demo", "demo django.setup()"),
        ("demo_with_daphne", "demo django.setup(), daphne's app instead of moa_ops.devserver"),
    ):
        for unit_key, label in (("wall_ms", "wall"), ("cpu_ms", "CPU")):
            rows.append(
                row(
                    f"{what}, {label}",
                    "ms",
                    [r[unit_key] for r in runs[name]],
                    [r[unit_key] for r in runs["bare"]],
                    "bare startproject django.setup(), same rounds",
                    goal="ratio <= 1.5" if name == "demo" else None,
                )
            )
    for unit_key, label in (("wall_ms", "wall"), ("cpu_ms", "CPU")):
        rows.append(
            row(
                f"import moa_ops.urls, {label} (loads {runs['ops_urls'][0]['modules'] or 'none'} "
                "of redis, dns, health_check)",
                "ms",
                [r[unit_key] for r in runs["ops_urls"]],
                [r[unit_key] for r in runs["django_urls"]],
                "import django.urls, same rounds",
            )
        )
    print(
        json.dumps(
            {
                "name": "start-up",
                "setup": f"fresh interpreter per sample, {ROUNDS} rounds interleaved; "
                f"demo loads {runs['demo'][0]['modules']}; medians "
                + ", ".join(
                    f"{name} {statistics.median(r['wall_ms'] for r in series):.0f} ms"
                    for name, series in runs.items()
                ),
                "rows": rows,
                "raw": runs,
            }
        )
    )


if __name__ == "__main__":
    main()
