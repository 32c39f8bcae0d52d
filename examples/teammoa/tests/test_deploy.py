"""The production settings pass Django's and moa-ops' deploy checks."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT_DIR = Path(__file__).resolve().parent.parent
PRODUCTION = "teammoa.settings.production"


def manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL"))
    }
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args, "--settings", PRODUCTION],
        cwd=PROJECT_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def dockerfile_ws_max_size() -> str:
    """The UVICORN_WS_MAX_SIZE the Dockerfile sets for uvicorn."""
    match = re.search(r"UVICORN_WS_MAX_SIZE=(\d+)", (PROJECT_DIR / "Dockerfile").read_text())
    assert match, "the Dockerfile sets no UVICORN_WS_MAX_SIZE"
    return match[1]


def production_environment() -> dict[str, str]:
    return {
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        # As the Dockerfile sets it for uvicorn (moa-mindmap's deploy check reads it).
        "UVICORN_WS_MAX_SIZE": dockerfile_ws_max_size(),
        "DATABASE_URL": "sqlite:////tmp/app.sqlite3",
    }


def test_deploy_checks_pass_with_production_settings():
    """`check --deploy` finds nothing to warn about, moa-ops' checks included."""
    result = manage("check", "--deploy", "--fail-level", "WARNING", **production_environment())

    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("variable", "message"),
    [
        ("DJANGO_SECRET_KEY", "Set the environment variable DJANGO_SECRET_KEY."),
    ],
)
def test_production_refuses_to_start_without(variable, message):
    """A missing required variable fails at once, with a message naming it."""
    environment = production_environment()
    del environment[variable]

    result = manage("check", **environment)

    assert result.returncode != 0
    assert message in result.stderr


def test_production_takes_the_scheme_from_the_server_not_from_a_header():
    """SECURE_PROXY_SSL_HEADER is unset: only uvicorn, trusting nginx alone, sets the scheme."""
    result = manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.SECURE_PROXY_SSL_HEADER)",
        **production_environment(),
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "None"


def production_value(expression: str, **env: str) -> str:
    """Evaluate ``expression`` under the production settings; return what it printed."""
    code = f"from django.conf import settings; from django.urls import reverse; print({expression})"
    result = manage("shell", "-c", code, **{**production_environment(), **env})
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_the_admin_path_comes_from_the_environment():
    """DJANGO_ADMIN_URL moves the admin off the /admin/ that scanners try."""
    assert production_value("reverse('admin:index')") == "/admin/"
    assert production_value("reverse('admin:index')", DJANGO_ADMIN_URL="staff-3f9c2a/") == (
        "/staff-3f9c2a/"
    )


def test_a_malformed_admin_path_is_refused_at_start_up():
    """A leading slash (or none at the end) would give an admin nobody can reach."""
    result = manage("check", **{**production_environment(), "DJANGO_ADMIN_URL": "/admin"})

    assert result.returncode != 0
    assert "DJANGO_ADMIN_URL must be a path like 'staff-3f9c2a/'" in result.stderr


def test_hsts_starts_at_an_hour_without_preload():
    """A TLS mistake costs an hour of HSTS, not a year; preload waits for the ramp."""
    assert production_value("settings.SECURE_HSTS_SECONDS") == "3600"
    assert production_value("settings.SECURE_HSTS_PRELOAD") == "False"
    assert (
        production_value("settings.SECURE_HSTS_SECONDS", DJANGO_SECURE_HSTS_SECONDS="31536000")
        == "31536000"
    )


def test_errors_are_mailed_to_the_admins_the_environment_names():
    """DJANGO_ADMINS get a mail for each 500 (unset: no one), from DJANGO_SERVER_EMAIL."""
    assert production_value("settings.ADMINS") == "[]"
    admins = production_value(
        "settings.ADMINS", DJANGO_ADMINS='"Ops, on call" <ops@example.com>, dev@example.com'
    )
    assert "Ops, on call" in admins
    assert "ops@example.com" in admins
    assert "dev@example.com" in admins
    assert production_value("settings.SERVER_EMAIL") == "noreply@example.com"
    assert production_value("settings.SERVER_EMAIL", DJANGO_SERVER_EMAIL="errors@example.com") == (
        "errors@example.com"
    )


def test_a_malformed_admin_address_is_refused_at_start_up():
    """A typo in DJANGO_ADMINS fails at start-up, not silently when the first 500 comes."""
    environment = {**production_environment(), "DJANGO_ADMINS": "Ops ops@example.com"}

    result = manage("check", **environment)

    assert result.returncode != 0
    assert "DJANGO_ADMINS: 'Ops ops@example.com' is not an email address" in result.stderr


def test_sentry_is_not_even_imported_without_a_dsn():
    """SENTRY_DSN chooses Sentry; unset, sentry-sdk is neither imported nor initialised."""
    assert production_value("__import__('sys').modules.get('sentry_sdk')") == "None"


def test_uploads_go_to_the_media_root_the_environment_names():
    """Uploads are files under DJANGO_MEDIA_ROOT (the image's media volume), at /media/."""
    storage = "settings.STORAGES['default']['BACKEND']"
    assert production_value(storage) == "django.core.files.storage.FileSystemStorage"
    assert production_value("settings.MEDIA_URL") == "/media/"
    root = production_value("settings.MEDIA_ROOT", DJANGO_MEDIA_ROOT="/srv/media")
    assert root == "/srv/media"
