"""moa-signup: atomic signup + email against commit-first signup, in the same run.

Runs ``python -m signup.register`` (``signup/``), which already prints the shape
``run.py`` expects; PostgreSQL when ``DATABASE_URL`` points at it, else a SQLite file.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent

if __name__ == "__main__":
    with tempfile.TemporaryDirectory(prefix="moa-signup-bench-") as workdir:
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "signup.settings"}
        if not env.get("DATABASE_URL", "").startswith("postgres"):
            env["DATABASE_URL"] = f"sqlite:///{Path(workdir) / 'bench.sqlite3'}"
        command = [sys.executable, "-m", "signup.register"]
        sys.exit(subprocess.run(command, cwd=HERE, env=env, check=False).returncode)
