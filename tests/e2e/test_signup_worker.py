"""Signup as compose.yaml runs it: the apps queue the activation email, the `worker` sends it.

compose.yaml sets ``MOA_SIGNUP_DELIVERY`` for the app services and runs ``worker`` with
its own command; here both come from the generated compose.yaml. The worker runs that
command with ``--batch`` (it exits once nothing is due) against the stack's PostgreSQL,
and sends to a real SMTP server on 127.0.0.1 (moa_testsupport.mailserver). The signup
and the activation go through nginx and TLS.
"""

from __future__ import annotations

import re
import secrets
import subprocess
import sys
import time

from e2e_harness.client import Browser
from e2e_harness.signup import accounts, sign_up
from e2e_harness.stack import Stack, compose_services

from moa_testsupport.mailserver import running_mail_server, text_of


def mail_settings(port: int, *, retry_delays_s: tuple[int, ...] = (60,)) -> str:
    """An overlay on the production settings: SMTP to ``port``, these retry delays."""
    return (
        'EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"\n'
        f'EMAIL_HOST = "127.0.0.1"\nEMAIL_PORT = {port}\nEMAIL_USE_TLS = False\n'
        f"EMAIL_TIMEOUT = 5\nMOA_SIGNUP_TASK_RETRY_DELAYS_S = {retry_delays_s!r}"
    )


def app_delivery(stack: Stack) -> str:
    """``MOA_SIGNUP_DELIVERY`` of the app services in the generated compose.yaml."""
    services = compose_services(stack.project)
    delivery = services["web1"]["environment"]["MOA_SIGNUP_DELIVERY"]
    assert services["web2"]["environment"]["MOA_SIGNUP_DELIVERY"] == delivery
    return str(delivery)


def run_worker(
    stack: Stack, settings_module: str, delivery: str
) -> subprocess.CompletedProcess[str]:
    """compose.yaml's worker command, once: it runs what is due, then exits (``--batch``)."""
    argv = compose_services(stack.project)["worker"]["command"]
    assert argv[:3] == ["python", "manage.py", "db_worker"], argv
    env = stack.base_env(DJANGO_SETTINGS_MODULE=settings_module, MOA_SIGNUP_DELIVERY=delivery)
    return subprocess.run(
        [sys.executable, *argv[1:], "--batch", "--no-startup-delay", "--interval", "0"],
        cwd=stack.project, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def activation_path(body: str) -> str:
    match = re.search(r"https://[^/\s]+(/signup/activate/\S+)", body)
    assert match, body
    return match[1]


def test_the_worker_sends_the_queued_email_and_its_link_activates(stack: Stack, spawn) -> None:
    """The signup answers without touching SMTP; the worker's email activates the account."""
    delivery = app_delivery(stack)
    username = f"queued{secrets.token_hex(3)}"
    with running_mail_server() as mail:
        body = mail_settings(mail.port)
        instance = spawn.instance("queued", body, MOA_SIGNUP_DELIVERY=delivery)
        nginx = spawn.nginx("nginx-queued", [instance.port])
        browser = Browser(nginx, stack.cert)

        signed_up = sign_up(browser, username, f"{username}@example.com")
        connections_before_worker = mail.connections
        worker = run_worker(stack, "e2e_queued", delivery)
        [message] = mail.wait_for_messages(1)
        activated = browser.submit(activation_path(text_of(message)), {})

    assert delivery == "task"
    assert (signed_up.status, signed_up.location) == (302, "/signup/done/")
    assert connections_before_worker == 0
    assert worker.returncode == 0, worker.stderr
    assert message["To"] == f"{username}@example.com"
    assert activated.status == 302, activated
    assert [row["is_active"] for row in accounts(stack, username)] == [True]


def test_an_smtp_outage_delays_the_email_and_loses_nothing(stack: Stack, spawn) -> None:
    """While the mail server drops every message the signup still succeeds, the account
    waits inactive with its email queued, and the worker's retry sends it once mail is back.
    """
    delivery = app_delivery(stack)
    username = f"outage{secrets.token_hex(3)}"
    with running_mail_server() as mail:
        mail.reset("drop")
        body = mail_settings(mail.port, retry_delays_s=(1,))
        instance = spawn.instance("outage", body, MOA_SIGNUP_DELIVERY=delivery)
        nginx = spawn.nginx("nginx-outage", [instance.port])

        signed_up = sign_up(Browser(nginx, stack.cert), username, f"{username}@example.com")
        failed_run = run_worker(stack, "e2e_outage", delivery)
        rows_during_outage = accounts(stack, username)
        dropped = mail.connections
        mail.reset("accept")
        time.sleep(1.5)  # the retry's run_after, one delay (1 s) after the failure
        retry_run = run_worker(stack, "e2e_outage", delivery)
        messages = mail.wait_for_messages(1)

    assert (signed_up.status, signed_up.location) == (302, "/signup/done/")
    assert failed_run.returncode == 0, failed_run.stderr
    assert dropped == 1
    assert [row["is_active"] for row in rows_during_outage] == [False]
    assert retry_run.returncode == 0, retry_run.stderr
    assert [message["To"] for message in messages] == [f"{username}@example.com"]
