"""The activation email: its link, its rendering and its sending."""

from __future__ import annotations

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
    message = EmailMultiAlternatives(
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
