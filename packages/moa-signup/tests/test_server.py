"""Signup enumeration, asked of a real server (``runserver``) on 127.0.0.1."""

from __future__ import annotations

import http.client
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest

from moa_testsupport.servers import free_port, migrate_database, wait_for_port
from tests.mailserver import MailServer

PACKAGE_DIR = Path(__file__).resolve().parent.parent
PASSWORD = "secret-Pass-123"


@pytest.fixture
def server(mailbox: MailServer, tmp_path: Path) -> Iterator[int]:
    """``runserver`` on a free port, its own SQLite file, mail to ``mailbox``."""
    env = {key: value for key, value in os.environ.items() if key != "MOA_TEST_DB"}
    env.update(
        DJANGO_SETTINGS_MODULE="tests.settings",
        PYTHONPATH=str(PACKAGE_DIR),
        MOA_SIGNUP_TEST_SQLITE_FILE=str(tmp_path / "db.sqlite3"),
        MOA_SIGNUP_TEST_SMTP_PORT=str(mailbox.port),
    )
    migrate_database(env, PACKAGE_DIR)
    port = free_port()
    command = [sys.executable, "-m", "django", "runserver", f"127.0.0.1:{port}", "--noreload"]
    process = subprocess.Popen(
        command, env=env, cwd=PACKAGE_DIR, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_for_port(port, process)
        yield port
    finally:
        process.terminate()
        process.wait(10)


class Browser:
    """Just enough of a browser: one CSRF cookie, no redirects followed."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookie = ""

    def request(
        self, method: str, path: str, body: dict[str, str] | None = None
    ) -> tuple[int, str, bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Cookie": self.cookie} if self.cookie else {}
        data = None
        if body is not None:
            data = urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, data, headers)
            response = connection.getresponse()
            content = response.read()
            cookie = response.getheader("Set-Cookie")
            if cookie and cookie.startswith("csrftoken="):
                self.cookie = cookie.split(";", 1)[0]
            return response.status, response.getheader("Location") or "", content
        finally:
            connection.close()

    def sign_up(self, username: str, email: str) -> tuple[int, str, bytes, bytes]:
        """POST the form; return status, Location, body, and the redirect target's body."""
        _, _, form = self.request("GET", "/signup/")
        match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', form)
        assert match, form
        fields = {
            "csrfmiddlewaretoken": match.group(1).decode(),
            "username": username,
            "email": email,
            "password1": PASSWORD,
            "password2": PASSWORD,
        }
        status, location, body = self.request("POST", "/signup/", fields)
        page = self.request("GET", location)[2] if location else b""
        return status, location, body, page


def test_taken_and_new_email_get_the_same_answer(server: int, mailbox: MailServer) -> None:
    """Over real HTTP, a taken email and a new one get the same status, Location and body."""
    browser = Browser(server)
    assert browser.sign_up("alice", "alice@example.com")[0] == 302
    mailbox.wait_for_messages(1)
    taken = browser.sign_up("bob", "ALICE@example.com")
    new = browser.sign_up("carol", "carol@example.com")
    assert taken == new
    assert taken[:2] == (302, "/signup/done/")
    assert b"Check your inbox" in taken[3]
    messages = mailbox.wait_for_messages(3)
    subjects = sorted(str(message["Subject"]) for message in messages)
    assert subjects == [
        "Activate your account on 127.0.0.1:%d" % server,
        "Activate your account on 127.0.0.1:%d" % server,
        "Someone tried to sign up on 127.0.0.1:%d with your email address" % server,
    ]
