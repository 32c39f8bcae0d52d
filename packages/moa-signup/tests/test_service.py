"""SignupService.register(): the user and its activation email commit together."""

from __future__ import annotations

import logging
import time
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth import get_user_model
from django.db import connections
from django.test import RequestFactory

from moa_signup.exceptions import ActivationEmailError, DuplicateUserError
from moa_signup.models import Signup
from moa_signup.services import SignupService
from moa_signup.signals import user_signed_up
from moa_testsupport.mailserver import MailServer, send_mail_to, text_of
from tests.activation import activation_link
from tests.settings import MAIL_TIMEOUT_S

pytestmark = pytest.mark.django_db

User = get_user_model()
PERSONAL = ("alice", "alice@example.com", "secret-Pass-123")


def register(**kwargs: Any) -> Any:
    request = RequestFactory().post("/signup/")
    fields = {"username": "alice", "email": "alice@example.com", "password": "secret-Pass-123"}
    return SignupService().register(**{**fields, **kwargs}, request=request)


def test_register_creates_inactive_user_and_sends_link(mailbox: MailServer) -> None:
    """The new user is inactive, has a pending signup, and got one activation email."""
    user = register()
    user.refresh_from_db()
    assert user.is_active is False
    assert user.check_password("secret-Pass-123")
    assert Signup.objects.get(user=user).activated_at is None
    [message] = mailbox.wait_for_messages(1)
    assert message["To"] == "alice@example.com"
    assert message["Subject"] == "Activate your account on testserver"
    assert message.get_body(preferencelist=("html",)) is not None
    assert activation_link(mailbox).startswith("http://testserver/signup/activate/")
    assert "3 days" in text_of(message)


@pytest.mark.parametrize("mode", ["refuse", "drop", "hang"])
def test_failed_send_leaves_no_row(mailbox: MailServer, settings: Any, mode: str) -> None:
    """A refused recipient, a reset connection or a hung server undo the signup."""
    mailbox.reset(mode)
    started = time.monotonic()
    with pytest.raises(ActivationEmailError) as excinfo:
        register()
    assert time.monotonic() - started < MAIL_TIMEOUT_S + 5
    assert isinstance(excinfo.value.__cause__, OSError)
    assert not User._default_manager.exists()
    assert not Signup.objects.exists()


def test_refused_connection_leaves_no_row(settings: Any, closed_port: int) -> None:
    """Nothing listening on the SMTP port: ActivationEmailError, no row."""
    send_mail_to(settings, closed_port, timeout_s=MAIL_TIMEOUT_S)
    with pytest.raises(ActivationEmailError) as excinfo:
        register()
    assert isinstance(excinfo.value.__cause__, ConnectionRefusedError)
    assert not User._default_manager.exists()


def test_user_model_can_be_retried_after_failure(mailbox: MailServer) -> None:
    """After a failed send the same username and email can sign up again."""
    mailbox.reset("refuse")
    with pytest.raises(ActivationEmailError):
        register()
    mailbox.reset("accept")
    assert register().pk is not None


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"username": "ALICE", "email": "other@example.com"}, "username"),
        ({"username": "bob", "email": "Alice@EXAMPLE.com"}, "email"),
    ],
)
def test_duplicate_username_or_email(
    mailbox: MailServer, kwargs: dict[str, str], field: str
) -> None:
    """A live account with the same username or email, in any case, is a clash."""
    register()
    with pytest.raises(DuplicateUserError) as excinfo:
        register(**kwargs)
    assert excinfo.value.field == field
    assert excinfo.value.code == f"duplicate_{field}"
    assert User._default_manager.count() == 1
    assert len(mailbox.wait_for_messages(1)) == 1


def test_user_signed_up_inside_the_transaction(mailbox: MailServer) -> None:
    """The signal sees the new user; a receiver that raises undoes the signup."""
    seen: list[Any] = []

    def receiver(sender: Any, user: Any, request: Any, **kwargs: Any) -> None:
        seen.append((sender, user.pk, request.path))

    user_signed_up.connect(receiver, dispatch_uid="test")
    try:
        user = register()
    finally:
        user_signed_up.disconnect(dispatch_uid="test")
    assert seen == [(User, user.pk, "/signup/")]

    def failing(**kwargs: Any) -> None:
        raise RuntimeError("profile could not be created")

    user_signed_up.connect(failing, dispatch_uid="test")
    try:
        with pytest.raises(RuntimeError):
            register(username="bob", email="bob@example.com")
    finally:
        user_signed_up.disconnect(dispatch_uid="test")
    assert not User._default_manager.filter(username="bob").exists()
    assert len(mailbox.wait_for_messages(1)) == 1


def test_site_url_without_request(mailbox: MailServer, settings: Any) -> None:
    """With MOA_SIGNUP_SITE_URL no request is needed, and the link uses it."""
    settings.MOA_SIGNUP_SITE_URL = "https://moa.example.org/"
    SignupService().register("alice", "alice@example.com", "secret-Pass-123")
    assert activation_link(mailbox).startswith("https://moa.example.org/signup/activate/")


def test_no_request_and_no_site_url_is_a_clear_error(mailbox: MailServer) -> None:
    """Without a request or MOA_SIGNUP_SITE_URL the link cannot be built: no row."""
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match="MOA_SIGNUP_SITE_URL"):
        SignupService().register("alice", "alice@example.com", "secret-Pass-123")
    assert not User._default_manager.exists()


@pytest.mark.django_db(transaction=True)
async def test_aregister(mailbox: MailServer) -> None:
    """The async twin creates the user and sends the email too."""
    request = RequestFactory().post("/signup/")
    user = await SignupService().aregister(
        "alice", "alice@example.com", "secret-Pass-123", request=request
    )
    assert await User._default_manager.filter(pk=user.pk, is_active=False).aexists()
    assert len(mailbox.wait_for_messages(1)) == 1
    mailbox.reset("refuse")
    with pytest.raises(ActivationEmailError):
        await SignupService().aregister("bob", "bob@example.com", "x", request=request)
    assert not await User._default_manager.filter(username="bob").aexists()
    # The worker thread's connection would keep the test database busy.
    await sync_to_async(connections.close_all)()


def test_logs_hold_no_personal_data(mailbox: MailServer, caplog: pytest.LogCaptureFixture) -> None:
    """Success, clash and failure are logged without username, email or password."""
    caplog.set_level(logging.INFO, logger="moa_signup")
    register()
    with pytest.raises(DuplicateUserError):
        register()
    mailbox.reset("refuse")
    with pytest.raises(ActivationEmailError):
        register(username="bob", email="bob@example.com")
    assert len(caplog.records) >= 3
    text = "\n".join(record.getMessage() for record in caplog.records)
    assert "SMTPRecipientsRefused" in text
    for secret in (*PERSONAL, "bob"):
        assert secret not in text


def test_resend_sync_and_failure(mailbox: MailServer) -> None:
    """resend() sends to a pending account, 0 for others, and raises on a failed send."""
    register()
    request = RequestFactory().post("/signup/resend/")
    assert SignupService().resend("nobody@example.com", request=request) == 0
    assert SignupService().resend("ALICE@example.com", request=request) == 1
    assert len(mailbox.wait_for_messages(2)) == 2
    mailbox.reset("refuse")
    with pytest.raises(ActivationEmailError):
        SignupService().resend("alice@example.com", request=request)


@pytest.mark.django_db(transaction=True)
async def test_async_activation_and_resend(mailbox: MailServer) -> None:
    """The async twins check, activate and resend like the sync ones."""
    from moa_signup.exceptions import ActivationLinkError
    from tests.activation import link_path

    request = RequestFactory().post("/signup/")
    service = SignupService()
    try:
        await service.aregister("alice", "alice@example.com", "pw-123456", request=request)
        assert await service.aresend("alice@example.com", request=request) == 1
        _, uidb64, token, _ = link_path(activation_link(mailbox)).rsplit("/", 3)
        user = await service.acheck_activation_link(uidb64, token)
        assert user.is_active is False
        assert (await service.aactivate(uidb64, token)).is_active is True
        with pytest.raises(ActivationLinkError):
            await service.aactivate(uidb64, token)
    finally:
        await sync_to_async(connections.close_all)()
