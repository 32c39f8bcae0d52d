"""Concurrent signups for one username or email: one account, one form error.

Real PostgreSQL transactions in threads. The first signup is held inside its
transaction by a mail server that delays its reply; the second starts while
it waits.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, connections
from django.test import Client

from moa_testsupport.databases import database_vendor
from moa_testsupport.mailserver import MailServer

User = get_user_model()


def waiting_lock_requests() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
        return int(cursor.fetchone()[0])


def post_in_thread(data: dict[str, str], results: dict[str, Any], key: str) -> threading.Thread:
    def run() -> None:
        try:
            results[key] = Client().post("/signup/", data)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


@pytest.mark.skipif(
    database_vendor() != "postgresql",
    reason="SQLite runs one writer at a time; its in-memory test database cannot be "
    "shared by concurrent transactions",
)
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("second", "errors"),
    [
        # A taken email is never an error: the answer is "check your inbox".
        ({"username": "bob", "email": "ALICE@example.com"}, None),
        (
            {"username": "Alice", "email": "other@example.com"},
            {"username": ["A user with that username already exists."]},
        ),
    ],
)
def test_concurrent_signups_make_one_account(
    mailbox: MailServer, second: dict[str, str], errors: dict[str, list[str]] | None
) -> None:
    """The second signup waits for the first; one user exists.

    A second with the same username gets a form error; one with the same email
    gets the usual redirect, and the address's owner an email about it.
    """
    password = {"password1": "secret-Pass-123", "password2": "secret-Pass-123"}
    first = {"username": "alice", "email": "alice@example.com", **password}
    mailbox.reset("gate")
    results: dict[str, Any] = {}
    first_thread = post_in_thread(first, results, "first")
    assert mailbox.at_gate.acquire(timeout=20), "the first signup never sent its email"
    second_thread = post_in_thread({**second, **password}, results, "second")
    deadline = time.monotonic() + 20
    while waiting_lock_requests() == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert waiting_lock_requests() == 1, "the second signup did not wait for the first"
    mailbox.release()
    first_thread.join(30)
    second_thread.join(30)

    assert results["first"].status_code == 302
    assert list(User._default_manager.values_list("username", flat=True)) == ["alice"]
    if errors is None:
        assert results["second"].status_code == 302
        assert results["second"]["Location"] == results["first"]["Location"]
        notice = mailbox.wait_for_messages(2)[1]
        assert notice["To"] == "alice@example.com"
        assert "tried to sign up" in str(notice["Subject"])
    else:
        assert results["second"].status_code == 200
        assert dict(results["second"].context["form"].errors) == errors
        assert len(mailbox.messages) == 1
