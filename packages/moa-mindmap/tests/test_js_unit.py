"""The editor's JavaScript modules pass their unit tests under ``node --test`` (no browser)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

import moa_mindmap
from moa_testsupport.services import services_required

JS_TESTS = Path(__file__).resolve().parent / "js"


def test_editor_modules_pass_their_node_tests() -> None:
    """Every ``tests/js/*.test.mjs`` passes: replica (gaps, resync, resend, undo), layout."""
    node = shutil.which("node")
    if node is None:
        message = "Node.js is not installed (Debian: apt-get install nodejs)"
        if services_required():
            pytest.fail(message + " and MOA_REQUIRE_SERVICES=1", pytrace=False)
        pytest.skip(message)
    files = sorted(str(path) for path in JS_TESTS.glob("*.test.mjs"))
    assert files, "no tests/js/*.test.mjs found"
    static = Path(moa_mindmap.__file__).resolve().parent / "static" / "moa_mindmap"
    done = subprocess.run(
        [node, "--test", *files],
        env={**os.environ, "MOA_MINDMAP_STATIC": str(static)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
