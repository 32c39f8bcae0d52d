"""Resend looks accounts up off the request path, and still sends the email."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext

from moa_signup.models import Signup
from moa_signup.services import SignupService, wait_for_background
from moa_testsupport.mailserver import MailServer, text_of
from tests.activation import activation_link, link_path

# The lookup runs in a background thread, which sees committed rows only.
pytestmark = pytest.mark.django_db(transaction=True)


def account_queries(queries: list[dict[str, Any]]) -> list[str]:
    """The captured SQL that reads or writes the user or signup tables."""
    tables = (get_user_model()._meta.db_table, Signup._meta.db_table)
    return [q["sql"] for q in queries if any(table in q["sql"] for table in tables)]


def sign_up_alice() -> None:
    request = RequestFactory().post("/signup/")
    SignupService().register("alice", "alice@example.com", "secret-Pass-123", request=request)


def test_resend_does_no_lookup_on_the_request_path(client: Client, mailbox: MailServer) -> None:
    """Pending and unknown addresses cost the request no account query; the email arrives."""
    sign_up_alice()
    mailbox.wait_for_messages(1)
    for email in ("ALICE@example.com", "nobody@example.com"):
        with CaptureQueriesContext(connection) as captured:
            response = client.post("/signup/resend/", {"email": email})
        assert (response.status_code, response["Location"]) == (302, "/signup/resend/done/")
        assert account_queries(captured.captured_queries) == []
    assert wait_for_background()
    [_, resent] = mailbox.wait_for_messages(2)
    assert str(resent["To"]) == "alice@example.com"
    assert "http://testserver/signup/activate/" in text_of(resent)
    assert client.post(link_path(activation_link(mailbox))).status_code == 302


def test_background_resend_keeps_the_language_and_host(client: Client, mailbox: MailServer) -> None:
    """The email is in the request's language, with a link to the request's host."""
    sign_up_alice()
    mailbox.wait_for_messages(1)
    client.post(
        "/signup/resend/",
        {"email": "alice@example.com"},
        HTTP_ACCEPT_LANGUAGE="ko",
        HTTP_HOST="app.example.com",
    )
    assert wait_for_background()
    [_, resent] = mailbox.wait_for_messages(2)
    assert "http://app.example.com/signup/activate/" in text_of(resent)
    assert str(resent["Subject"]).strip() == "app.example.com 계정을 활성화하세요"


def test_background_failure_is_logged_not_raised(
    client: Client, mailbox: MailServer, caplog: pytest.LogCaptureFixture
) -> None:
    """A refused send is logged as a warning; the answer is the usual redirect."""
    sign_up_alice()
    mailbox.wait_for_messages(1)
    mailbox.reset("refuse")
    with caplog.at_level(logging.WARNING, logger="moa_signup"):
        response = client.post("/signup/resend/", {"email": "alice@example.com"})
        assert wait_for_background()
    assert response.status_code == 302
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == [
        "Resend failed (SMTPRecipientsRefused)"
    ]
