"""Exceptions raised by moa-signup's services."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from moa_signup.tokens import TokenStatus


class SignupError(Exception):
    """Base of the errors moa-signup's services raise: ``except SignupError`` catches each."""


class ActivationEmailError(SignupError):
    """The activation email could not be handed to the mail server.

    Raised by ``SignupService.register()`` after rolling back the signup, so no
    account remains. ``__cause__`` holds the original ``OSError`` (refused,
    reset, timeout, or an SMTP error reply).
    """


class DuplicateUserError(SignupError, ValidationError):
    """Another account already uses this username or email address.

    A ``ValidationError`` whose ``field`` names the clashing form field, so a
    view can show it with ``form.add_error(exc.field, exc)``.
    """

    def __init__(self, message: StrOrPromise, *, field: str, code: str) -> None:
        super().__init__(message, code=code)
        self.field = field


class ActivationLinkError(SignupError):
    """An activation link that does not activate anything.

    ``status`` is a ``moa_signup.tokens.TokenStatus``: ``INVALID`` (tampered,
    foreign or unknown account), ``EXPIRED`` or ``USED``.
    """

    def __init__(self, status: TokenStatus) -> None:
        super().__init__(status.value)
        self.status = status
