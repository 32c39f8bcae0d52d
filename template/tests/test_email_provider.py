"""Mail through a transactional email provider's API (django-anymail), chosen by environment.

With ``email_backend=smtp`` the production settings send over SMTP, or, when
``DJANGO_EMAIL_PROVIDER`` names one of anymail's HTTP providers, through its API, with
the provider's settings from ``ANYMAIL_*`` variables. The provider here is Postmark's
API as a real HTTP server on 127.0.0.1 (``ANYMAIL_POSTMARK_API_URL`` points at it):
it answers as Postmark documents, or holds the request open without answering.
"""

from __future__ import annotations

import json
import subprocess
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from generated import dockerfile_env, production_env, run

TOKEN = "server-token-5c1f"
RECIPIENT = "ops@example.com"


@dataclass
class ProviderAPI:
    """What the stand-in API received, and how it answers."""

    url: str
    hang: threading.Event
    requests: list[dict[str, Any]] = field(default_factory=list)


@contextmanager
def postmark_api(*, answer: bool = True) -> Iterator[ProviderAPI]:
    """Postmark's ``POST /email`` on 127.0.0.1; with ``answer=False`` it never replies."""
    release = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            api.requests.append(
                {"path": self.path, "token": self.headers["X-Postmark-Server-Token"], **body}
            )
            if not answer:
                release.wait(30)
                return
            reply = json.dumps(
                {"To": body["To"], "MessageID": str(uuid.uuid4()), "ErrorCode": 0, "Message": "OK"}
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, format: str, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    api = ProviderAPI(url=f"http://127.0.0.1:{httpd.server_address[1]}/", hang=release)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield api
    finally:
        release.set()
        httpd.shutdown()
        httpd.server_close()


def smtp_project(project) -> tuple[str, Path, Path]:
    name, path, python = project
    if name != "defaults":
        pytest.skip("only the defaults (email_backend=smtp) send real mail")
    return name, path, python


def provider_env(name: str, tmp_path, api: ProviderAPI, **extra: str) -> dict[str, str]:
    return {
        **production_env(name, tmp_path),
        "DJANGO_EMAIL_PROVIDER": "postmark",
        "ANYMAIL_POSTMARK_SERVER_TOKEN": TOKEN,
        "ANYMAIL_POSTMARK_API_URL": api.url,
        **extra,
    }


def manage(python, path, env, *args: str) -> subprocess.CompletedProcess[str]:
    return run([python, "manage.py", *args], path, env, 60, check=False)


def test_mail_goes_through_the_providers_api(project, tmp_path):
    """DJANGO_EMAIL_PROVIDER=postmark sends Django's mail as one API call with the token."""
    name, path, python = smtp_project(project)
    with postmark_api() as api:
        env = provider_env(name, tmp_path, api)

        result = manage(python, path, env, "sendtestemail", RECIPIENT)

    assert result.returncode == 0, result.stderr
    [sent] = api.requests
    assert sent["path"] == "/email"
    assert sent["token"] == TOKEN
    assert sent["To"] == RECIPIENT
    assert sent["From"] == "noreply@example.com"
    assert "Test email from" in sent["Subject"]


def test_the_deploy_checks_pass_with_a_provider(project, tmp_path):
    """The timeout rules (moa_signup.E001, moa_ops.W005) accept the provider's mailer."""
    name, path, python = smtp_project(project)
    with postmark_api() as api:
        # As the image runs it (moa_mindmap.W002 reads uvicorn's frame limit).
        env = provider_env(
            name, tmp_path, api, UVICORN_WS_MAX_SIZE=dockerfile_env(path, "UVICORN_WS_MAX_SIZE")
        )

        result = manage(python, path, env, "check", "--deploy", "--fail-level", "WARNING")

    assert result.returncode == 0, result.stdout + result.stderr
    assert api.requests == []


def test_a_hung_provider_fails_the_send_after_the_timeout(project, tmp_path):
    """An API that accepts the request and never answers gives up after DJANGO_EMAIL_TIMEOUT.

    Anymail ignores EMAIL_TIMEOUT; the settings pass the timeout to it, so the send
    fails (and the caller can report it) instead of holding a request open.
    """
    name, path, python = smtp_project(project)
    with postmark_api(answer=False) as api:
        env = provider_env(name, tmp_path, api, DJANGO_EMAIL_TIMEOUT="1")

        result = manage(python, path, env, "sendtestemail", RECIPIENT)

    assert result.returncode != 0
    assert "timed out" in result.stderr
    assert len(api.requests) == 1


@pytest.mark.parametrize(
    ("provider", "reason"),
    [("postmarkk", "a misspelt provider"), ("amazon_ses", "a provider called through boto3")],
)
def test_an_unknown_provider_is_refused_at_start(project, tmp_path, provider, reason):
    """DJANGO_EMAIL_PROVIDER must name an HTTP provider of anymail's, or nothing starts."""
    name, path, python = smtp_project(project)
    env = {**production_env(name, tmp_path), "DJANGO_EMAIL_PROVIDER": provider}

    result = manage(python, path, env, "check")

    assert result.returncode != 0, reason
    assert f"DJANGO_EMAIL_PROVIDER={provider!r} is not an email provider" in result.stderr
