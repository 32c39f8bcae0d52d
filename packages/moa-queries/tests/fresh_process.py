"""Run a script in a new Python process with these tests' settings and fresh tables."""

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
    env = {**os.environ, "MOA_TEST_DB": "sqlite", "DJANGO_SETTINGS_MODULE": "tests.settings"}
    result = subprocess.run(
        [sys.executable, "-c", PRELUDE + script],
        cwd=PACKAGE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])
