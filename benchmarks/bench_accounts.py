"""moa-accounts: batched purge of unverified users against one bulk ``DELETE``.

Runs ``packages/moa-accounts/benchmarks_accounts.py`` (PostgreSQL only: it needs
``DATABASE_URL``), which prints the shape ``run.py`` expects. ``MOA_BENCH_USERS`` and
``MOA_BENCH_ROUNDS`` size the run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

SCRIPT = (
    Path(__file__).resolve().parent.parent / "packages" / "moa-accounts" / "benchmarks_accounts.py"
)

if __name__ == "__main__":
    env = dict(os.environ)
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        print(json.dumps({"name": "moa-accounts", "skipped": "needs DATABASE_URL (PostgreSQL)"}))
        sys.exit(0)
    env.setdefault("MOA_TEST_DB", url)
    sys.exit(subprocess.run([sys.executable, str(SCRIPT)], env=env, check=False).returncode)
