"""Forms for signing up and asking for a new activation link."""

from __future__ import annotations

import logging
from typing import Any

from django import forms
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import password_validation
from django.contrib.auth.base_user import BaseUserManager
from django.db import models
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _

from moa_signup.emails import UnwrappedEmail
from moa_signup.services import DUPLICATE_MESSAGES
from moa_signup.throttling import allow_password_reset, client_ip
from moa_signup.users import (
    email_field_name,
    user_model,
    username_field_name,
    username_taken,
)

logger = logging.getLogger("moa_signup")

# PBKDF2 on a megabyte of password is a cheap denial of service; nobody types more.
PASSWORD_MAX_LENGTH = 4096


class SignupForm(forms.Form):
    """Username (unless the model logs in by email), email and a password twice.

    The username and email fields take their length and validators from the
    user model. A username a live account has (ignoring case) is a form error,
    as in Django's own forms; a taken email address is not (see ``SignupView``).
    """

    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        max_length=PASSWORD_MAX_LENGTH,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label=_("Password confirmation"),
        strip=False,
        max_length=PASSWORD_MAX_LENGTH,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("Enter the same password as before, for verification."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model = user_model()
        fields: dict[str, forms.Field] = {}
        if username_field_name() != email_field_name():
            model_field = model._meta.get_field(username_field_name())
            assert isinstance(model_field, models.Field)
            username = model_field.formfield()
            assert username is not None
            # Model validators (UnicodeUsernameValidator) only run in full_clean().
            known = {type(validator) for validator in username.validators}
            username.validators += [v for v in model_field.validators if type(v) not in known]
            username.required = True
            username.widget.attrs.setdefault("autocomplete", "username")
            fields["username"] = username
        email_model_field = model._meta.get_field(email_field_name())
        assert isinstance(email_model_field, models.Field)
        email = email_model_field.formfield(form_class=forms.EmailField)
        assert email is not None
        email.required = True
        email.widget.attrs.setdefault("autocomplete", "email")
        fields["email"] = email
        # Username and email first, then the passwords.
        self.fields = {**fields, **self.fields}

    def clean_username(self) -> str:
        username = user_model().normalize_username(self.cleaned_data["username"])
        if username_taken(username):
            raise forms.ValidationError(DUPLICATE_MESSAGES["username"], code="duplicate_username")
        return str(username)

    def clean_email(self) -> str:
        # A taken address is not an error: saying so would tell anyone which
        # addresses have accounts. The view answers as for a new one.
        return BaseUserManager.normalize_email(self.cleaned_data["email"])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        password1 = cleaned.get("password1")
        password2 = cleaned.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error(
                "password2",
                forms.ValidationError(
                    _("The two password fields didn't match."), code="password_mismatch"
                ),
            )
        elif password1 and "password2" not in self.errors:
            provisional: Any = user_model()(
                **{
                    username_field_name(): cleaned.get("username", cleaned.get("email", "")),
                    email_field_name(): cleaned.get("email", ""),
                }
            )
            try:
                password_validation.validate_password(password1, provisional)
            except forms.ValidationError as error:
                self.add_error("password2", error)
        return cleaned

    @property
    def signup_kwargs(self) -> dict[str, Any]:
        """The arguments for ``SignupService.register()``."""
        email = self.cleaned_data["email"]
        return {
            "username": self.cleaned_data.get("username", email),
            "email": email,
            "password": self.cleaned_data["password1"],
        }


class ResendForm(forms.Form):
    """The email address an account signed up with."""

    email = forms.EmailField(
        label=_("Email"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Django's password reset form, rate-limited, whose email keeps its link on one line.

    Django 6.1 sends a body with a line over 78 characters quoted-printable, so
    the console backend prints the reset link broken in two; this form sends the
    same email as an ``UnwrappedEmail``.

    ``save()`` counts the request per address and per client IP
    (``MOA_SIGNUP_PASSWORD_RESET_*``) and sends nothing over either limit, so
    Django's view (``PasswordResetView.as_view(form_class=PasswordResetForm)``)
    answers the same as ever. ``moa_signup.views.PasswordResetView`` answers
    429 instead.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._within_rate_limit: bool | None = None

    def within_rate_limit(self, request: HttpRequest | None) -> bool:
        """Count this request against the rate limits, once; return whether they allow it.

        Call it only on a valid form. The address counts whether or not an
        account has it, so the answer tells nothing about accounts.
        """
        if self._within_rate_limit is None:
            self._within_rate_limit = allow_password_reset(
                self.cleaned_data["email"], client_ip(request)
            )
        return self._within_rate_limit

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Send the reset email as Django does, unless over a rate limit."""
        if not self.within_rate_limit(kwargs.get("request")):
            logger.info("Password reset not sent: over its rate limit")
            return
        super().save(*args, **kwargs)

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        subject = "".join(render_to_string(subject_template_name, context).splitlines())
        body = render_to_string(email_template_name, context)
        message = UnwrappedEmail(subject, body, from_email, [to_email])
        if html_email_template_name is not None:
            html = render_to_string(html_email_template_name, context)
            message.attach_alternative(html, "text/html")
        try:
            message.send()
        except OSError:
            # As Django does: the page must not tell whether the address has an account.
            logger.exception(
                "Could not send the password reset email to user %s", context["user"].pk
            )
