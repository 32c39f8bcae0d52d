"""The emails moa-signup sends: their links, their rendering and their sending."""

from __future__ import annotations

import email.message
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMultiAlternatives
from django.http import HttpRequest
from django.shortcuts import resolve_url
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse

from moa_signup.conf import app_settings
from moa_signup.exceptions import ActivationEmailError
from moa_signup.tokens import encode_uid
from moa_signup.users import email_of

SUBJECT_TEMPLATE = "moa_signup/email/activation_subject.txt"
TEXT_TEMPLATE = "moa_signup/email/activation_body.txt"
HTML_TEMPLATE = "moa_signup/email/activation_body.html"
ATTEMPT_SUBJECT_TEMPLATE = "moa_signup/email/signup_attempt_subject.txt"
ATTEMPT_TEXT_TEMPLATE = "moa_signup/email/signup_attempt_body.txt"
ATTEMPT_HTML_TEMPLATE = "moa_signup/email/signup_attempt_body.html"
# Django's name for its password reset page (django.contrib.auth.urls).
PASSWORD_RESET_URL_NAME = "password_reset"
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
    return build_site_url(path, request)


def build_site_url(path: str, request: HttpRequest | None = None) -> str:
    """Return ``path`` as an absolute link on this site.

    ``MOA_SIGNUP_SITE_URL`` wins when set; otherwise the request's scheme and host.
    """
    if urlsplit(path).scheme:
        return path
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
    return render_email(user, (SUBJECT_TEMPLATE, TEXT_TEMPLATE, HTML_TEMPLATE), context)


def build_signup_attempt_email(
    user: AbstractBaseUser, request: HttpRequest | None = None, **extra_context: Any
) -> EmailMultiAlternatives:
    """Render the email telling ``user`` someone tried to sign up with their address.

    It links to the login page, to the resend page (for an account never
    activated) and, when the project has Django's ``password_reset`` URL, to
    the password reset page.
    """
    login_url = build_site_url(resolve_url(settings.LOGIN_URL), request)
    try:
        password_reset_url: str | None = build_site_url(reverse(PASSWORD_RESET_URL_NAME), request)
    except NoReverseMatch:
        password_reset_url = None
    context = {
        "user": user,
        "login_url": login_url,
        "password_reset_url": password_reset_url,
        "resend_url": build_site_url(reverse("moa_signup:resend"), request),
        "site_name": urlsplit(login_url).netloc,
        **extra_context,
    }
    templates = (ATTEMPT_SUBJECT_TEMPLATE, ATTEMPT_TEXT_TEMPLATE, ATTEMPT_HTML_TEMPLATE)
    return render_email(user, templates, context)


def render_email(
    user: AbstractBaseUser, templates: tuple[str, str, str], context: dict[str, Any]
) -> EmailMultiAlternatives:
    """Render an email to ``user`` from its subject, text and HTML templates."""
    subject_template, text_template, html_template = templates
    subject = "".join(render_to_string(subject_template, context).splitlines()).strip()
    message = UnwrappedEmail(
        subject=subject,
        body=render_to_string(text_template, context),
        from_email=app_settings.MOA_SIGNUP_FROM_EMAIL,
        to=[email_of(user)],
    )
    message.attach_alternative(render_to_string(html_template, context), "text/html")
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
