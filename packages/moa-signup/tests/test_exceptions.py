"""moa-signup's exceptions share one base, and keep their Django ones."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from moa_signup.exceptions import (
    ActivationEmailError,
    ActivationLinkError,
    DuplicateUserError,
    SignupError,
)
from moa_signup.services import SignupService
from moa_signup.tokens import TokenStatus


@pytest.mark.parametrize(
    "error",
    [
        ActivationEmailError("refused"),
        ActivationLinkError(TokenStatus.EXPIRED),
        DuplicateUserError("taken", field="email", code="duplicate_email"),
    ],
)
def test_every_service_error_is_a_signup_error(error: Exception) -> None:
    """``except SignupError`` catches each error the services document."""
    with pytest.raises(SignupError):
        raise error


def test_duplicate_user_error_stays_a_validation_error() -> None:
    """A form can still show it: it is a ``ValidationError`` with its code."""
    error = DuplicateUserError("taken", field="username", code="duplicate_username")
    assert isinstance(error, ValidationError)
    assert (error.field, error.code) == ("username", "duplicate_username")


@pytest.mark.django_db
def test_a_bad_link_is_caught_as_a_signup_error() -> None:
    """What the service raises for a tampered link is caught by the base class."""
    with pytest.raises(SignupError) as caught:
        SignupService().check_activation_link("bm9uZQ", "bad-token")
    assert isinstance(caught.value, ActivationLinkError)
    assert caught.value.status is TokenStatus.INVALID
