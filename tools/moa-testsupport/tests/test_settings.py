"""overlay_settings(): a server subprocess sees the static settings plus the test's values."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest

from moa_testsupport.settings import overlay_settings, server_env, sqlite_databases

SETTINGS_OF_THE_SERVER = (
    "import importlib, json, os;"
    "m = importlib.import_module(os.environ['DJANGO_SETTINGS_MODULE']);"
    "print(json.dumps([m.SECRET_KEY, m.DEBUG, m.DATABASES, m.ALLOWED_HOSTS]))"
)


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
    out = subprocess.run(
        [sys.executable, "-c", SETTINGS_OF_THE_SERVER],
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


def server_settings(env: dict[str, str]) -> list[Any]:
    """What a server started with exactly ``env`` sees of its settings."""
    out = subprocess.run(
        [sys.executable, "-c", SETTINGS_OF_THE_SERVER],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    settings: list[Any] = json.loads(out)
    return settings


@pytest.fixture
def static_settings(tmp_path):
    base_dir = tmp_path / "project"
    base_dir.mkdir()
    (base_dir / "static_settings.py").write_text(
        'SECRET_KEY = "static"\nDEBUG = True\nDATABASES = {}\nALLOWED_HOSTS = []\n'
    )
    return base_dir


def test_server_env_shares_an_sqlite_file_and_drops_the_test_database(
    tmp_path, static_settings, monkeypatch
):
    """By default the server runs on ``<directory>/db.sqlite3``, whatever MOA_TEST_DB says."""
    monkeypatch.setenv("MOA_TEST_DB", "postgres://postgres@127.0.0.1:5432/test")
    env = server_env(
        tmp_path / "server", "static_settings", pythonpath=static_settings, DEBUG=False
    )
    assert "MOA_TEST_DB" not in env
    secret, debug, databases, _ = server_settings(env)
    assert (secret, debug) == ("static", False)
    assert databases == {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(tmp_path / "server" / "db.sqlite3"),
        }
    }


def test_server_env_on_a_database_url(tmp_path, static_settings):
    """``database_url`` points the server at a server database instead."""
    env = server_env(
        tmp_path,
        "static_settings",
        pythonpath=static_settings,
        database_url="postgres://moa@127.0.0.1:1/none",
    )
    database = server_settings(env)[2]["default"]
    assert (database["ENGINE"], database["HOST"], database["PORT"], database["NAME"]) == (
        "django.db.backends.postgresql",
        "127.0.0.1",
        1,
        "none",
    )
