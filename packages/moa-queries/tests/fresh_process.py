"""Run a script in a new Python process (these tests' settings, fresh tables) for JSON."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

PACKAGE_DIR = Path(__file__).resolve().parent.parent

PRELUDE = """
import json, django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0, run_syncdb=True)
"""


def run_in_fresh_process(script: str) -> Any:
    """Run ``script`` on a new in-memory SQLite database; return its last line as JSON."""
    env = {"MOA_TEST_DB": "sqlite", "DJANGO_SETTINGS_MODULE": "tests.settings"}
    return run_json(["-c", PRELUDE + script], env, timeout=120)


def run_json(args: list[str], env: dict[str, str] | None = None, *, timeout: float) -> Any:
    """Run Python with ``args`` in the package directory; return its last line as JSON."""
    result = subprocess.run(
        [sys.executable, *args],
        cwd=PACKAGE_DIR,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])
