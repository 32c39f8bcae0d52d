"""overlay_settings(): a server subprocess sees the static settings plus the test's values."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest

from moa_testsupport.settings import overlay_settings, sqlite_databases


def test_a_subprocess_reads_the_base_settings_and_the_overlaid_values(tmp_path):
    """The generated module keeps every base setting and replaces only the given ones."""
    base_dir = tmp_path / "project"
    base_dir.mkdir()
    (base_dir / "static_settings.py").write_text('SECRET_KEY = "static"\nDEBUG = True\n')
    env = overlay_settings(
        tmp_path / "overlay",
        "static_settings",
        pythonpath=base_dir,
        DEBUG=False,
        DATABASES=sqlite_databases(tmp_path / "db.sqlite3"),
        ALLOWED_HOSTS=["127.0.0.1"],
    )
    script = (
        "import importlib, json, os;"
        "m = importlib.import_module(os.environ['DJANGO_SETTINGS_MODULE']);"
        "print(json.dumps([m.SECRET_KEY, m.DEBUG, m.DATABASES, m.ALLOWED_HOSTS]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", script],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    secret, debug, databases, hosts = json.loads(out)
    assert (secret, debug, hosts) == ("static", False, ["127.0.0.1"])
    assert databases["default"]["NAME"] == str(tmp_path / "db.sqlite3")


@pytest.mark.parametrize("name", ["debug", "NOT-A-NAME", "CLASS "])
def test_a_name_that_is_not_a_setting_is_refused(tmp_path, name):
    values: dict[str, Any] = {name: 1}
    with pytest.raises(ValueError, match="not a setting name"):
        overlay_settings(tmp_path, "static_settings", **values)
    assert not (tmp_path / "moa_test_overlay_settings.py").exists()


def test_a_value_that_is_not_a_literal_is_refused(tmp_path):
    with pytest.raises(ValueError, match="not a literal"):
        overlay_settings(tmp_path, "static_settings", LOGGER=object())
    assert not (tmp_path / "moa_test_overlay_settings.py").exists()
