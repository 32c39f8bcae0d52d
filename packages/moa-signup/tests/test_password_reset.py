"""Password reset is rate-limited per address and per client, saying nothing about accounts."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from moa_testsupport.mailserver import MailServer

pytestmark = pytest.mark.django_db

User = get_user_model()
MOA_VIEW = "/moa/password_reset/"
DJANGO_VIEW = "/password_reset/"


@pytest.fixture
def alice(db: None) -> Any:
    return User._default_manager.create_user("alice", "alice@example.com", "secret-Pass-123")


def reset(client: Client, url: str, email: str, **extra: Any) -> Any:
    return client.post(url, {"email": email}, **extra)


@pytest.mark.usefixtures("alice")
def test_25_requests_for_one_address_send_3_emails(client: Client, mailbox: MailServer) -> None:
    """Over MOA_SIGNUP_PASSWORD_RESET_PER_ADDRESS the view answers 429 and sends nothing."""
    codes = [reset(client, MOA_VIEW, "alice@example.com").status_code for _ in range(25)]
    assert codes == [302] * 3 + [429] * 22
    assert len(mailbox.wait_for_messages(3)) == 3
    time.sleep(0.2)  # a wrongly sent email would have arrived by now
    assert len(mailbox.messages) == 3
    response = reset(client, MOA_VIEW, "ALICE@example.com")
    assert response.context["form"].non_field_errors() == [
        "Too many requests. Please wait a while and try again."
    ]


@pytest.mark.usefixtures("alice")
def test_limit_answers_the_same_whether_the_address_has_an_account(
    client: Client, mailbox: MailServer
) -> None:
    """An unknown address gets the same answers, in the same order, as a known one."""
    answers = {
        email: [
            (response.status_code, response.get("Location"))
            for response in (reset(client, MOA_VIEW, email) for _ in range(5))
        ]
        for email in ("alice@example.com", "nobody@example.com")
    }
    assert answers["alice@example.com"] == answers["nobody@example.com"]
    assert answers["nobody@example.com"] == [(302, "/password_reset/done/")] * 3 + [(429, None)] * 2


@pytest.mark.usefixtures("alice")
def test_django_view_with_the_form_sends_at_most_the_limit(
    client: Client, mailbox: MailServer
) -> None:
    """Django's own view with moa_signup's form: same redirect every time, 3 emails."""
    codes = [reset(client, DJANGO_VIEW, "alice@example.com").status_code for _ in range(25)]
    assert codes == [302] * 25
    assert len(mailbox.wait_for_messages(3)) == 3
    time.sleep(0.2)
    assert len(mailbox.messages) == 3


@pytest.mark.usefixtures("alice")
def test_rate_limited_per_ip(client: Client, mailbox: MailServer, settings: Any) -> None:
    """One client IP gets MOA_SIGNUP_PASSWORD_RESET_PER_IP requests, across addresses."""
    settings.MOA_SIGNUP_PASSWORD_RESET_PER_IP = 2
    codes = [reset(client, MOA_VIEW, f"user{i}@example.com").status_code for i in range(3)]
    assert codes == [302, 302, 429]
    assert reset(client, MOA_VIEW, "alice@example.com").status_code == 429
    other = reset(client, MOA_VIEW, "alice@example.com", REMOTE_ADDR="10.0.0.9")
    assert other.status_code == 302
    assert len(mailbox.wait_for_messages(1)) == 1


def test_invalid_address_is_a_form_error(client: Client) -> None:
    """A malformed address is re-rendered with its error, and counts nothing."""
    response = reset(client, MOA_VIEW, "garbage")
    assert response.status_code == 200
    assert "email" in response.context["form"].errors
