"""Incidents 4 and 5 through the public site: usernames freed by the scheduled cleanup, and
no account left behind when the activation email cannot be sent. PostgreSQL, nginx, TLS.
"""

from __future__ import annotations

import re
import secrets
import subprocess

from e2e_harness.client import Browser
from e2e_harness.signup import accounts, sign_up
from e2e_harness.stack import Stack

from moa_testsupport.servers import free_port

TAKEN = "A user with that username already exists."


def cron_command(stack: Stack) -> str:
    """The command of the generated cron job that deletes unverified signups."""
    text = (stack.project / "deploy" / "cron" / "delete-unverified-users").read_text()
    match = re.search(r"^[\d*/,-]+(?: +[\d*/,-]+){4} +\S+ +(.+)$", text, re.MULTILINE)
    assert match, "no cron line in deploy/cron/delete-unverified-users"
    command = match.group(1)
    assert "delete_unverified_users" in command
    return command.replace('cd "$APP_DIR" && ', "")


def test_unverified_signup_frees_its_username_after_the_scheduled_cleanup(stack: Stack) -> None:
    """A typo'd, never-activated signup holds its username until the daily job deletes it."""
    username = f"typo{secrets.token_hex(3)}"
    browser = Browser(stack.nginx, stack.cert)

    first = sign_up(browser, username, f"{username}@exmaple.com")
    blocked = sign_up(Browser(stack.nginx, stack.cert), username, f"{username}@example.com")
    # Three days and a bit later, the daily job (the template's cron line) runs.
    stack.manage(
        "shell", "-c",
        "from datetime import timedelta; from django.utils import timezone; "
        "from django.contrib.auth import get_user_model; "
        f"get_user_model()._default_manager.filter(username={username!r})"
        ".update(date_joined=timezone.now() - timedelta(days=3, hours=1))",
    )  # fmt: skip
    job = subprocess.run(
        ["sh", "-c", cron_command(stack)], cwd=stack.project, env=stack.shim_env(),
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    again = sign_up(Browser(stack.nginx, stack.cert), username, f"{username}@example.com")

    assert (first.status, first.location) == (302, "/signup/done/")
    assert blocked.status == 200
    assert TAKEN in blocked.body.decode()
    assert job.returncode == 0, job.stderr
    assert (again.status, again.location) == (302, "/signup/done/")
    assert [row["email"] for row in accounts(stack, username)] == [f"{username}@example.com"]


def test_failed_activation_email_leaves_no_account(stack: Stack, spawn) -> None:
    """SMTP down: the signup answers 503 with a message and no row is left to block a retry."""
    closed_port = free_port()
    instance = spawn.instance(
        "smtp-down",
        'EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"\n'
        f'EMAIL_HOST = "127.0.0.1"\nEMAIL_PORT = {closed_port}\nEMAIL_USE_TLS = False\n'
        "EMAIL_TIMEOUT = 5",
    )
    nginx = spawn.nginx("nginx-smtp-down", [instance.port])
    username = f"nomail{secrets.token_hex(3)}"

    failed = sign_up(Browser(nginx, stack.cert), username, f"{username}@example.com")
    rows_after_failure = accounts(stack, username)
    retried = sign_up(Browser(stack.nginx, stack.cert), username, f"{username}@example.com")

    assert failed.status == 503
    assert "no account was created" in failed.body.decode()
    assert rows_after_failure == []
    assert (retried.status, retried.location) == (302, "/signup/done/")
