"""moa-signup: atomic signup + email against commit-first signup, in the same run.

Runs ``packages/moa-signup/benchmarks_signup.py``, which already prints the shape
``run.py`` expects; PostgreSQL when ``DATABASE_URL`` points at it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "packages" / "moa-signup" / "benchmarks_signup.py"

if __name__ == "__main__":
    env = dict(os.environ)
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        env.setdefault("BENCH_DATABASE_URL", url)
    sys.exit(subprocess.run([sys.executable, str(SCRIPT)], env=env, check=False).returncode)
