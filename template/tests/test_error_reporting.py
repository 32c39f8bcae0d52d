"""Errors in production: a mail to ADMINS on every 500, and Sentry when SENTRY_DSN is set.

Each test runs the generated project under its production settings with the Dockerfile's
uvicorn command. A settings and URL overlay on PYTHONPATH (overlay.py) adds a view that
raises; the generated code is not changed. The mail goes to a real SMTP server on
127.0.0.1 (moa_testsupport.mailserver), Sentry's envelopes to a real HTTP server there
(sentry_ingest.py).
"""

from __future__ import annotations

import email
import email.message
import json
import os
import re
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from email.policy import default as policy
from pathlib import Path

import pytest
from baking import SLUG
from generated import (
    collect_static,
    free_port,
    loopback_command,
    ping_over_websocket,
    production_env,
    server,
)
from overlay import EXCEPTION_MESSAGE, EXCEPTION_NAME, get, overlay_env
from sentry_ingest import exception_types, request_path, running_ingest

from moa_testsupport.mailserver import running_mail_server, text_of

ADMINS = '"Ops, on call" <ops@example.com>, dev@example.com'
SERVER_EMAIL = "errors@example.com"
# A password inside a service's URL, which the mail's list of settings must not show.
PASSWORD = "pw-7d2e91"


def served_projects(name: str) -> None:
    if name == "embedded":
        pytest.skip("defaults (SMTP, PostgreSQL, Redis) and embedded-apps (console) cover it")


def production_services(name: str, tmp_path: Path, stack: ExitStack) -> dict[str, str]:
    """The production environment, with real services where the combination needs them.

    The defaults (deploy_target=aws-alb) refuse services on this host unless told: here
    they are a throwaway PostgreSQL database and the local Redis.
    """
    env = production_env(name, tmp_path)
    if name == "defaults":
        import django

        from moa_testsupport.services import postgres_database, require_redis

        require_redis()
        env["DATABASE_URL"] = stack.enter_context(
            postgres_database(f"moa_template_errors_{os.getpid()}")
        )
        env["REDIS_URL"] = f"redis://127.0.0.1:6379/{3 + django.VERSION[0] % 3}"
        env["DJANGO_ALLOW_HOST_LOCAL_SERVICES"] = "true"
    return env


@contextmanager
def overlay_server(
    path: Path, python: Path, env: dict[str, str], tmp_path: Path
) -> Iterator[tuple[int, Path]]:
    """The Dockerfile's uvicorn command under the overlay's settings; its port and log."""
    env = overlay_env(path, env, tmp_path)
    collect_static(path, python)  # pages name the hashed files of the image's manifest
    port = free_port()
    with server(loopback_command(python, path, port), path, env, port):
        yield port, path / f"server-{port}.log"


def console_mails(output: str) -> list[email.message.EmailMessage]:
    """The mails Django's console backend wrote to ``output``, each ended by 79 dashes."""
    mails = []
    for chunk in output.split("-" * 79 + "\n")[:-1]:
        start = re.search(r"^Content-Type: ", chunk, re.MULTILINE)
        if start:
            mails.append(email.message_from_string(chunk[start.start() :], policy=policy))
    return mails


def assert_plain_500(status: int, headers: dict[str, str], body: str) -> None:
    """The client learns that the server failed, and nothing about how."""
    assert status == 500
    assert headers["content-type"].startswith("text/html")
    assert "Server Error (500)" in body
    for leak in ("Traceback", EXCEPTION_NAME, EXCEPTION_MESSAGE, 'File "'):
        assert leak not in body


def test_a_500_is_mailed_to_the_admins_and_logged(project, tmp_path):
    """DJANGO_ADMINS get one mail naming the exception; stdout keeps the traceback.

    With email_backend=smtp the mail reaches a real SMTP server; with console, the
    backend writes it to the server's output. Without SENTRY_DSN, sentry-sdk is never
    imported.
    """
    name, path, python = project
    served_projects(name)
    with ExitStack() as stack:
        mail = stack.enter_context(running_mail_server())
        env = production_services(name, tmp_path, stack)
        env.update(DJANGO_ADMINS=ADMINS, DJANGO_SERVER_EMAIL=SERVER_EMAIL)
        if name == "defaults":  # email_backend=smtp
            env.update(
                DJANGO_EMAIL_HOST="127.0.0.1",
                DJANGO_EMAIL_PORT=str(mail.port),
                DJANGO_EMAIL_USE_TLS="false",
                # PostgreSQL's trust authentication ignores it.
                DATABASE_URL=env["DATABASE_URL"].replace("postgres@", f"postgres:{PASSWORD}@"),
            )
        else:  # the in-memory layer: nothing connects to REDIS_URL
            env["REDIS_URL"] = f"redis://:{PASSWORD}@127.0.0.1:6379/0"
        port, log = stack.enter_context(overlay_server(path, python, env, tmp_path))

        failed = get(port, "/overlay/fail/")
        # The handler sends the mail before the response goes out: all are in.
        messages = list(mail.messages)
        modules = get(port, "/overlay/modules/")
        output = log.read_text()

    assert_plain_500(*failed)
    assert json.loads(modules[2]) == {"sentry_sdk": False}
    # The existing logging: the error and its traceback on the server's output.
    assert "Internal Server Error: /overlay/fail/" in output
    assert f"{EXCEPTION_NAME}: {EXCEPTION_MESSAGE}" in output
    subject = f"[{SLUG}] ERROR (EXTERNAL IP): Internal Server Error: /overlay/fail/"
    if name == "defaults":  # the SMTP server's
        [message] = messages
    else:  # the console backend's, on the server's output
        assert messages == []
        [message] = console_mails(output)
    # Django 6.1 folds the long subject after "Subject:"; unfolded, a space leads.
    assert message["Subject"].strip() == subject
    assert message["From"] == SERVER_EMAIL
    assert "ops@example.com" in message["To"]
    assert "dev@example.com" in message["To"]
    text = text_of(message)
    # Django's technical report: the exception, its message, the traceback, the request.
    assert f"{EXCEPTION_NAME} at /overlay/fail/" in text
    assert EXCEPTION_MESSAGE in text
    assert "Traceback" in text
    # The settings are listed, the password inside the service's URL hidden.
    listed = "DATABASE_URL = 'postgres://" if name == "defaults" else "REDIS_URL = 'redis://"
    assert listed in text
    assert PASSWORD not in text


def test_sentry_gets_the_error_and_traces_but_not_the_probes(project, tmp_path):
    """With SENTRY_DSN, a 500 reaches Sentry naming the exception; probes send no trace.

    At a traces sample rate of 1.0 a page and a WebSocket (Channels, through Sentry's
    ASGI middleware) each send a transaction, /health/live/ and /health/ready/ none.
    sentry-sdk's worker sends in order, so once the page's transaction, requested after
    the probes, has arrived, a probe's would have too.
    """
    name, path, python = project
    served_projects(name)
    with ExitStack() as stack:
        ingest = stack.enter_context(running_ingest())
        env = production_services(name, tmp_path, stack)
        env.update(
            SENTRY_DSN=ingest.dsn,
            SENTRY_ENVIRONMENT="template-tests",
            SENTRY_TRACES_SAMPLE_RATE="1.0",
        )
        port, _ = stack.enter_context(overlay_server(path, python, env, tmp_path))

        live = get(port, "/health/live/")
        ready = get(port, "/health/ready/")
        failed = get(port, "/overlay/fail/")
        home = get(port, "/")
        modules = get(port, "/overlay/modules/")
        pong = ping_over_websocket(port)
        [event] = ingest.wait_for(
            lambda item: item.type == "event" and EXCEPTION_NAME in exception_types(item.payload)
        )
        ingest.wait_for(
            lambda item: item.type == "transaction" and request_path(item.payload) == "/"
        )
        ingest.wait_for(
            lambda item: (
                item.type == "transaction"
                and item.payload["contexts"]["trace"]["op"] == "websocket.server"
            )
        )
        transactions = [item.payload for item in ingest.of_type("transaction")]

    assert live[0] == 200
    assert ready[0] in (200, 503)  # served by Django either way
    assert home[0] == 200
    assert pong == "pong"
    assert json.loads(modules[2]) == {"sentry_sdk": True}
    assert_plain_500(*failed)
    assert event.payload["environment"] == "template-tests"
    assert request_path(event.payload) == "/overlay/fail/"
    [value] = [v for v in event.payload["exception"]["values"] if v["type"] == EXCEPTION_NAME]
    assert value["value"] == EXCEPTION_MESSAGE
    traced = sorted(request_path(transaction) for transaction in transactions)
    assert "/overlay/fail/" in traced
    assert not [path for path in traced if path.startswith("/health/")], traced
    assert not [t for t in transactions if "/health/" in t.get("transaction", "")]
