"""Signup enumeration, asked of a real server (``runserver``) on 127.0.0.1."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from moa_testsupport.forms import FormClient
from moa_testsupport.mailserver import MailServer, send_mail_to
from moa_testsupport.servers import ServerProcess, free_port, migrate_database, runserver_command
from moa_testsupport.settings import overlay_settings, sqlite_databases
from tests.settings import MAIL_TIMEOUT_S

PACKAGE_DIR = Path(__file__).resolve().parent.parent
PASSWORD = "secret-Pass-123"


@pytest.fixture
def server(mailbox: MailServer, tmp_path: Path) -> Iterator[int]:
    """``runserver`` on a free port, its own SQLite file, mail to ``mailbox``."""
    mail = SimpleNamespace()
    send_mail_to(mail, mailbox.port, timeout_s=MAIL_TIMEOUT_S)
    overlay = overlay_settings(
        tmp_path,
        # tests.settings, or the moa_accounts.User variant's (pytest --ds sets it).
        os.environ["DJANGO_SETTINGS_MODULE"],
        pythonpath=PACKAGE_DIR,
        DATABASES=sqlite_databases(tmp_path / "db.sqlite3"),
        **vars(mail),
    )
    env = {**os.environ, **overlay}
    migrate_database(env, PACKAGE_DIR)
    port = free_port()
    with ServerProcess(runserver_command(port), port, env=env, cwd=PACKAGE_DIR):
        yield port


def sign_up(client: FormClient, username: str, email: str) -> tuple[int, str, str, str]:
    """POST the form; return status, Location, body, and the redirect target's body."""
    fields = {"username": username, "email": email, "password1": PASSWORD, "password2": PASSWORD}
    status, location, body = client.submit("/signup/", fields)
    page = client.request("GET", location)[2] if location else ""
    return status, location, body, page


def test_taken_and_new_email_get_the_same_answer(server: int, mailbox: MailServer) -> None:
    """Over real HTTP, a taken email and a new one get the same status, Location and body."""
    browser = FormClient(server)
    assert sign_up(browser, "alice", "alice@example.com")[0] == 302
    mailbox.wait_for_messages(1)
    taken = sign_up(browser, "bob", "ALICE@example.com")
    new = sign_up(browser, "carol", "carol@example.com")
    assert taken == new
    assert taken[:2] == (302, "/signup/done/")
    assert "Check your inbox" in taken[3]
    messages = mailbox.wait_for_messages(3)
    subjects = sorted(str(message["Subject"]) for message in messages)
    assert subjects == [
        "Activate your account on 127.0.0.1:%d" % server,
        "Activate your account on 127.0.0.1:%d" % server,
        "Someone tried to sign up on 127.0.0.1:%d with your email address" % server,
    ]
