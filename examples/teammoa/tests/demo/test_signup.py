"""Signing up in the demo: one account and its activation email, together (incident 5)."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client

from teammoa.settings.mail import default_mailer

pytestmark = pytest.mark.django_db

FORM = {
    "username": "newcomer",
    "email": "newcomer@example.com",
    "password1": "a-long-demo-passphrase",
    "password2": "a-long-demo-passphrase",
}


def test_signup_then_activate_logs_in(client: Client) -> None:
    """Signup sends the link; the POST on it activates and signs the user in."""
    response = client.post("/signup/", FORM)
    assert response.status_code == 302
    user = get_user_model().objects.get(username="newcomer")
    assert not user.is_active
    [message] = mail.outbox
    link = re.search(r"http://testserver(/signup/activate/\S+/)", message.body)
    assert link is not None
    assert client.get(link.group(1)).status_code == 200  # a mail scanner's GET changes nothing
    user.refresh_from_db()
    assert not user.is_active
    response = client.post(link.group(1))
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.is_active
    assert "Signed in as newcomer" in client.get("/teams/").content.decode()


def test_failed_email_leaves_no_account(client: Client, settings: object) -> None:
    """When the mail server refuses, no account is left holding the username."""
    smtp = "django.core.mail.backends.smtp.EmailBackend"
    for name, value in default_mailer(smtp, host="127.0.0.1", port=1, timeout=5).items():
        setattr(settings, name, value)
    response = client.post("/signup/", FORM)
    assert response.status_code == 503
    assert not get_user_model().objects.filter(username="newcomer").exists()
