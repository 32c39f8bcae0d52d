"""Local development email: the console by default, Mailpit (compose.local.yaml) on request."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from baking import SLUG
from generated import clean_env, run

from moa_testsupport.mailserver import running_mail_server


def local_env(**extra: str) -> dict[str, str]:
    return clean_env(DJANGO_SETTINGS_MODULE=f"{SLUG}.settings.local", **extra)


def test_runserver_settings_send_to_the_smtp_host_given_and_print_otherwise(project):
    """DJANGO_EMAIL_HOST sends real SMTP to it (Mailpit's port by default); unset, the console."""
    name, path, python = project
    if name == "embedded-apps":
        pytest.skip("local mail settings do not depend on the optional apps: see embedded")
    send = [python, "manage.py", "sendtestemail", "dev@example.com"]

    with running_mail_server() as mail:
        run(send, path, local_env(DJANGO_EMAIL_HOST="127.0.0.1", DJANGO_EMAIL_PORT=str(mail.port)))
        [message] = mail.wait_for_messages(1)
    printed = run(send, path, local_env())
    default_port = run(
        [python, "manage.py", "shell", "-c",
         "from django.conf import settings; print(settings.LOCAL_SMTP_PORT)"],
        path, local_env(DJANGO_EMAIL_HOST="127.0.0.1"),
    )  # fmt: skip

    assert message["To"] == "dev@example.com"
    assert "Test email from" in message["Subject"]
    assert "To: dev@example.com" in printed.stdout
    assert default_port.stdout.strip().splitlines()[-1] == "1025"


def test_mailpit_listens_on_loopback_at_the_port_the_settings_default_to(project):
    """compose.local.yaml: Mailpit's SMTP on 127.0.0.1:1025 and its web page on 127.0.0.1:8025."""
    _, path, _ = project
    compose = yaml.safe_load((path / "compose.local.yaml").read_text())
    mailpit = compose["services"]["mailpit"]
    schema = subprocess.run(
        [
            Path(sys.executable).parent / "check-jsonschema",
            "--builtin-schema",
            "vendor.compose-spec",
            str(path / "compose.local.yaml"),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )

    assert mailpit["image"].startswith("axllent/mailpit:v")
    assert sorted(mailpit["ports"]) == ["127.0.0.1:1025:1025", "127.0.0.1:8025:8025"]
    assert schema.returncode == 0, schema.stdout + schema.stderr
