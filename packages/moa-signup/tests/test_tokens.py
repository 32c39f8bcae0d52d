"""Activation tokens: bound to the account's state, expiring, keyed by SECRET_KEY."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from moa_signup import tokens
from moa_signup.models import Signup
from moa_signup.tokens import TokenStatus, default_token_generator

pytestmark = pytest.mark.django_db

User = get_user_model()


@pytest.fixture
def pending() -> tuple[Any, Signup]:
    user = User._default_manager.create_user("dora", "dora@example.com", "pw", is_active=False)
    return user, Signup.objects.create(user=user)


def test_valid_then_used(pending: tuple[Any, Signup]) -> None:
    """A fresh token is valid; after activation it reads as used."""
    user, signup = pending
    token = default_token_generator.make_token(user, signup)
    assert default_token_generator.check_token(user, signup, token) is TokenStatus.VALID
    user.is_active = True
    signup.activated_at = signup.created_at
    assert default_token_generator.check_token(user, signup, token) is TokenStatus.USED


@pytest.mark.parametrize("change", ["email", "password", "secret"])
def test_state_changes_invalidate(pending: tuple[Any, Signup], settings: Any, change: str) -> None:
    """A changed email, password or SECRET_KEY makes the token invalid."""
    user, signup = pending
    token = default_token_generator.make_token(user, signup)
    if change == "email":
        user.email = "other@example.com"
    elif change == "password":
        user.set_password("new")
    else:
        settings.SECRET_KEY = "another-secret"
    assert default_token_generator.check_token(user, signup, token) is TokenStatus.INVALID


def test_secret_key_fallbacks(pending: tuple[Any, Signup], settings: Any) -> None:
    """A token made before a key rotation still works through SECRET_KEY_FALLBACKS."""
    user, signup = pending
    token = default_token_generator.make_token(user, signup)
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "rotated"
    assert default_token_generator.check_token(user, signup, token) is TokenStatus.VALID


def test_expiry_follows_the_setting(
    pending: tuple[Any, Signup], settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """MOA_SIGNUP_ACTIVATION_DAYS sets the lifetime, read when the token is checked."""
    user, signup = pending
    token = default_token_generator.make_token(user, signup)
    now = tokens.now_seconds()
    monkeypatch.setattr(tokens, "now_seconds", lambda: now + 86400 + 1)
    settings.MOA_SIGNUP_ACTIVATION_DAYS = 1
    assert default_token_generator.check_token(user, signup, token) is TokenStatus.EXPIRED
    settings.MOA_SIGNUP_ACTIVATION_DAYS = 2
    assert default_token_generator.check_token(user, signup, token) is TokenStatus.VALID


@pytest.mark.parametrize("token", ["", "-", "abc", "zzzzzzzzz-00", "1-" + "0" * 200, "!!-00"])
def test_garbage_tokens(pending: tuple[Any, Signup], token: str) -> None:
    user, signup = pending
    assert default_token_generator.check_token(user, signup, token) is TokenStatus.INVALID


@pytest.mark.parametrize("uidb64", ["", "%%%", "A" * 200, "////"])
def test_garbage_uids(uidb64: str) -> None:
    assert tokens.decode_uid(uidb64) in (None, "")


def test_last_login_change_invalidates(pending: tuple[Any, Signup]) -> None:
    """A token made before last_login changed (a moa_accounts restore sets it) is invalid."""
    user, signup = pending
    token = default_token_generator.make_token(user, signup)
    user.last_login = timezone.now()
    assert default_token_generator.check_token(user, signup, token) is TokenStatus.INVALID
    fresh = default_token_generator.make_token(user, signup)
    assert default_token_generator.check_token(user, signup, fresh) is TokenStatus.VALID


def test_used_after_login(pending: tuple[Any, Signup]) -> None:
    """Logging in after activation sets last_login; the old link still reads as used."""
    user, signup = pending
    token = default_token_generator.make_token(user, signup)
    user.is_active = True
    signup.activated_at = signup.created_at
    user.last_login = timezone.now()
    assert default_token_generator.check_token(user, signup, token) is TokenStatus.USED
