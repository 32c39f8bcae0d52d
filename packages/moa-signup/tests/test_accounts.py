"""With moa_accounts.User: verification, soft deletion and the variant run.

``test_suite_with_moa_accounts`` runs this whole suite again in a subprocess
with ``pytest --ds tests.settings_accounts`` (``AUTH_USER_MODEL =
"moa_accounts.User"``) when moa-accounts is installed;
the other tests here only run in that subprocess.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client

from moa_signup.services import wait_for_background
from moa_testsupport.mailserver import MailServer
from tests.activation import activation_link, link_path

with_accounts = pytest.mark.skipif(
    settings.AUTH_USER_MODEL != "moa_accounts.User",
    reason="runs in the moa_accounts.User variant",
)
VALID = {
    "username": "alice",
    "email": "alice@example.com",
    "password1": "secret-Pass-123",
    "password2": "secret-Pass-123",
}


@pytest.mark.skipif(
    importlib.util.find_spec("moa_accounts") is None, reason="moa-accounts is not installed"
)
@pytest.mark.skipif(settings.AUTH_USER_MODEL == "moa_accounts.User", reason="already the variant")
def test_suite_with_moa_accounts(pytestconfig: pytest.Config) -> None:
    """Every test of this package passes with moa_accounts.User as the user model."""
    tests_dir = Path(__file__).resolve().parent
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    command += ["--ds", "tests.settings_accounts"]
    if pytestconfig.inipath is not None:
        command += ["-c", str(pytestconfig.inipath)]
    command += ["--rootdir", str(tests_dir.parent), str(tests_dir)]
    env = {key: value for key, value in os.environ.items() if key != "PYTEST_ADDOPTS"}
    done = subprocess.run(
        command, cwd=tests_dir.parent, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert " passed" in done.stdout


@with_accounts
@pytest.mark.django_db
def test_activation_sets_email_verified_at(client: Client, mailbox: MailServer) -> None:
    """Activating marks the email verified, so the purge command keeps the account."""
    client.post("/signup/", VALID)
    user = get_user_model()._default_manager.get(username="alice")
    assert user.email_verified_at is None
    client.post(link_path(activation_link(mailbox)))
    user.refresh_from_db()
    assert user.is_active is True
    assert user.email_verified_at is not None


@with_accounts
@pytest.mark.django_db(transaction=True)  # resend looks up in a thread
def test_soft_deleted_account(client: Client, mailbox: MailServer) -> None:
    """A soft-deleted pending account: its link is invalid, resend skips it,
    and its username and email are free for a new signup."""
    client.post("/signup/", VALID)
    path = link_path(activation_link(mailbox))
    get_user_model()._default_manager.get(username="alice").delete()
    assert client.post(path).status_code == 400
    client.post("/signup/resend/", {"email": "alice@example.com"})
    assert wait_for_background()
    response: Any = client.post("/signup/", VALID)
    assert response.status_code == 302
    messages = mailbox.wait_for_messages(2)
    assert len(messages) == 2  # the first signup and the new one; no resend
    assert client.post(path).status_code == 400
    assert client.post(link_path(activation_link(mailbox))).status_code == 302


@with_accounts
@pytest.mark.django_db(transaction=True)  # resend looks up in a thread
def test_restored_pending_account_stays_inactive(client: Client, mailbox: MailServer) -> None:
    """Delete then restore a never-activated account: still inactive, its old link is
    invalid, and a resend's new link activates it."""
    client.post("/signup/", VALID)
    path = link_path(activation_link(mailbox))
    User = get_user_model()
    user = User._default_manager.get(username="alice")
    user.delete()
    user.restore()
    assert user.is_active is False
    assert User._default_manager.get(pk=user.pk).is_active is False
    assert client.post(path).status_code == 400
    client.post("/signup/resend/", {"email": "alice@example.com"})
    mailbox.wait_for_messages(2)
    assert client.post(link_path(activation_link(mailbox))).status_code == 302
    assert User._default_manager.get(pk=user.pk).is_active is True


@with_accounts
@pytest.mark.django_db
@pytest.mark.parametrize("lookalike", ["\u0458un", "JUN", "Jün"])
def test_lookalike_username_is_taken(client: Client, mailbox: MailServer, lookalike: str) -> None:
    """A username that reads as a live one (case, accents, a Cyrillic je) is a form error,
    on every database: moa_accounts.User's username_key."""
    assert client.post("/signup/", {**VALID, "username": "jun"}).status_code == 302
    response: Any = client.post(
        "/signup/", {**VALID, "username": lookalike, "email": "other@example.com"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "username": ["A user with that username already exists."]
    }
    assert get_user_model()._default_manager.count() == 1
