"""moa-accounts: batched purge of unverified users against one bulk ``DELETE``.

Runs ``python -m accounts.purge`` (``accounts/``; PostgreSQL only: it needs
``DATABASE_URL``), which prints the shape ``run.py`` expects. ``MOA_BENCH_USERS`` and
``MOA_BENCH_ROUNDS`` size the run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

if __name__ == "__main__":
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "accounts.settings"}
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        print(json.dumps({"name": "moa-accounts", "skipped": "needs DATABASE_URL (PostgreSQL)"}))
        sys.exit(0)
    command = [sys.executable, "-m", "accounts.purge"]
    sys.exit(subprocess.run(command, cwd=HERE, env=env, check=False).returncode)
