"""The activation email: its link, its rendering and its sending."""

from __future__ import annotations

import email.message
from typing import Any
from urllib.parse import urlsplit

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMultiAlternatives
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse

from moa_signup.conf import app_settings
from moa_signup.exceptions import ActivationEmailError
from moa_signup.tokens import encode_uid
from moa_signup.users import email_of

SUBJECT_TEMPLATE = "moa_signup/email/activation_subject.txt"
TEXT_TEMPLATE = "moa_signup/email/activation_body.txt"
HTML_TEMPLATE = "moa_signup/email/activation_body.html"
# RFC 5322's hard limit; 78 is only what it recommends.
MAX_LINE_BYTES = 998


class UnwrappedEmail(EmailMultiAlternatives):
    """An email whose text parts go out as written, so links are never wrapped.

    On Django 6.1 (Python's modern email API) a body with a line over 78
    characters, such as an activation link, is sent quoted-printable: the
    console backend then prints the link broken across lines with a trailing
    ``=``, and non-ASCII text (Korean) may even become base64. Text parts whose
    lines fit SMTP's 998-byte limit are sent as 7bit or 8bit instead, as
    Django 5.2 does.
    """

    def message(self, **kwargs: Any) -> Any:
        msg = super().message(**kwargs)
        if isinstance(msg, email.message.EmailMessage):
            for part in msg.walk():
                if part.get_content_maintype() == "text" and not part.is_attachment():
                    unwrap(part)
        return msg


def unwrap(part: email.message.EmailMessage) -> None:
    """Re-encode one text part as 7bit or 8bit when its lines allow it."""
    text = part.get_content()
    charset = part.get_content_charset() or "utf-8"
    encoded = text.encode(charset)
    if any(len(line) > MAX_LINE_BYTES for line in encoded.splitlines()):
        return
    cte = "7bit" if encoded.isascii() else "8bit"
    part.set_content(text, subtype=part.get_content_subtype(), charset=charset, cte=cte)


def build_activation_url(
    user: AbstractBaseUser, token: str, request: HttpRequest | None = None
) -> str:
    """Return the absolute activation link for ``user``.

    ``MOA_SIGNUP_SITE_URL`` wins when set; otherwise the link takes the
    request's scheme and host, which honour ``SECURE_PROXY_SSL_HEADER`` and
    ``USE_X_FORWARDED_HOST`` behind a TLS-terminating proxy.
    """
    path = reverse("moa_signup:activate", kwargs={"uidb64": encode_uid(user), "token": token})
    site_url = app_settings.MOA_SIGNUP_SITE_URL
    if site_url:
        return site_url.rstrip("/") + path
    if request is None:
        raise ImproperlyConfigured(
            "Set MOA_SIGNUP_SITE_URL to build activation links without a request."
        )
    return request.build_absolute_uri(path)


def build_activation_email(
    user: AbstractBaseUser, activation_url: str, **extra_context: Any
) -> EmailMultiAlternatives:
    """Render the activation email (plain text with an HTML alternative)."""
    context = {
        "user": user,
        "activation_url": activation_url,
        "site_name": urlsplit(activation_url).netloc,
        "expiration_days": app_settings.MOA_SIGNUP_ACTIVATION_DAYS,
        **extra_context,
    }
    subject = "".join(render_to_string(SUBJECT_TEMPLATE, context).splitlines()).strip()
    message = UnwrappedEmail(
        subject=subject,
        body=render_to_string(TEXT_TEMPLATE, context),
        from_email=app_settings.MOA_SIGNUP_FROM_EMAIL,
        to=[email_of(user)],
    )
    message.attach_alternative(render_to_string(HTML_TEMPLATE, context), "text/html")
    return message


def send_email(message: EmailMultiAlternatives) -> None:
    """Hand ``message`` to the mail server or raise ``ActivationEmailError``.

    Django's SMTP backend raises ``OSError`` subclasses for every network
    failure: refused and reset connections, timeouts (``EMAIL_TIMEOUT``) and
    SMTP error replies (``smtplib.SMTPException``).
    """
    try:
        sent = message.send(fail_silently=False)
    except OSError as exc:
        raise ActivationEmailError(type(exc).__name__) from exc
    if not sent:
        raise ActivationEmailError("the mail backend sent nothing")
