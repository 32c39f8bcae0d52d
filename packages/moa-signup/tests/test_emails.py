"""Activation links reach a person whole: on the console and through SMTP."""

from __future__ import annotations

import io
import re
from contextlib import redirect_stdout
from typing import Any

import django
import pytest
from django.contrib.auth import get_user_model
from django.core.mail.backends.console import EmailBackend as ConsoleBackend
from django.utils import translation

from moa_signup.emails import build_activation_email
from moa_signup.forms import PasswordResetForm
from moa_testsupport.mailserver import MailServer

pytestmark = pytest.mark.django_db

User = get_user_model()

# Longer than the 78 characters after which Python's email package wraps lines.
# The password reset email as a project writes it (Django's own lives in the admin app).
RESET_TEMPLATES = {
    "registration/password_reset_subject.txt": "Reset your password",
    "registration/password_reset_email.html": (
        "Choose a new password here:\n\n"
        "{{ protocol }}://{{ domain }}{% url 'password_reset_confirm' uidb64=uid token=token %}\n"
    ),
}
LINK = "https://app.example.com/signup/activate/MTIzNDU/" + "c" * 6 + "-" + "f" * 64 + "/"


class Recipient:
    """The least of a user the email templates read."""

    email = "alice@example.com"
    username = "alice"

    def get_username(self) -> str:
        return self.username


def console_output(language: str) -> str:
    stream = io.StringIO()
    with translation.override(language):
        message = build_activation_email(Recipient(), LINK)  # type: ignore[arg-type]
    ConsoleBackend(stream=stream).send_messages([message])
    return stream.getvalue()


@pytest.mark.parametrize("language", ["en", "ko"])
def test_console_prints_the_link_whole(language: str) -> None:
    """The console backend shows the link on one line, as a person copies it."""
    output = console_output(language)
    assert re.search(rf"^{re.escape(LINK)}$", output, re.MULTILINE), output
    assert "quoted-printable" not in output
    assert "base64" not in output


def test_console_prints_korean_as_text() -> None:
    """The Korean email is readable on the console, not base64."""
    with translation.override("ko"):
        expected = translation.gettext("Open this link to activate your account:")
    assert expected != "Open this link to activate your account:"
    assert expected in console_output("ko")


@pytest.mark.parametrize("language", ["en", "ko"])
def test_smtp_sends_text_parts_unwrapped(mailbox: MailServer, settings: Any, language: str) -> None:
    """Over SMTP each text part travels 7bit/8bit with the link on one line."""
    with translation.override(language):
        build_activation_email(Recipient(), LINK).send()  # type: ignore[arg-type]
    [message] = mailbox.wait_for_messages(1)
    for subtype in ("plain", "html"):
        part = message.get_body(preferencelist=(subtype,))
        assert part is not None
        assert part["Content-Transfer-Encoding"] in ("7bit", "8bit"), django.VERSION
        assert LINK in part.get_payload()  # type: ignore[operator]


@pytest.fixture
def reset_templates(settings: Any) -> None:
    loader = ("django.template.loaders.locmem.Loader", RESET_TEMPLATES)
    settings.TEMPLATES = [
        {
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "OPTIONS": {"loaders": [loader, "django.template.loaders.app_directories.Loader"]},
        }
    ]


@pytest.mark.usefixtures("reset_templates")
def test_password_reset_email_keeps_its_link_whole(settings: Any) -> None:
    """moa_signup's PasswordResetForm prints the reset link on one line."""
    console = "django.core.mail.backends.console.EmailBackend"
    if django.VERSION >= (6, 1):
        settings.MAILERS = {"default": {"BACKEND": console}}
    else:
        settings.EMAIL_BACKEND = console
    User.objects.create_user("alice", "alice@example.com", "secret-Pass-123")
    stream = io.StringIO()
    form = PasswordResetForm({"email": "alice@example.com"})
    assert form.is_valid()
    with redirect_stdout(stream):
        form.save(domain_override="app.example.com", use_https=True)
    link = re.search(r"^https://app\.example\.com/reset/\S+$", stream.getvalue(), re.MULTILINE)
    assert link, stream.getvalue()
    assert "quoted-printable" not in stream.getvalue()


@pytest.mark.usefixtures("reset_templates")
def test_password_reset_answers_the_same_when_mail_fails(
    mailbox: MailServer, caplog: pytest.LogCaptureFixture
) -> None:
    """A refused send is logged, not raised: the page reveals nothing."""
    mailbox.reset("refuse")
    User.objects.create_user("alice", "alice@example.com", "secret-Pass-123")
    form = PasswordResetForm({"email": "alice@example.com"})
    assert form.is_valid()
    form.save(domain_override="app.example.com")
    assert "Could not send the password reset email" in caplog.text
