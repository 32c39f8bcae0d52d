"""Activation tokens: single use, expiring, bound to one account's state.

A token is ``<timestamp>-<hmac>``. The HMAC (SHA-256, keyed by ``SECRET_KEY``,
with ``SECRET_KEY_FALLBACKS`` accepted) covers the user's primary key, email,
password hash, activation state (``is_active``, ``email_verified_at``, the
signup's ``activated_at``), deletion state (``deleted_at``), ``last_login``
once it is set, and the timestamp. Activating changes the state, so a token
works once; a different account that later gets the same username or email has
another primary key and password hash, so an old link never activates it.
Restoring a deleted ``moa_accounts`` user sets its ``last_login``, so links
issued before the deletion stay dead.
"""

from __future__ import annotations

import enum
import time
from datetime import UTC, datetime

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.encoding import force_bytes, force_str
from django.utils.http import (
    base36_to_int,
    int_to_base36,
    urlsafe_base64_decode,
    urlsafe_base64_encode,
)

from moa_signup.conf import app_settings
from moa_signup.models import Signup
from moa_signup.users import DELETED_AT_FIELD, VERIFIED_AT_FIELD, email_of, has_field

EPOCH_S = datetime(2001, 1, 1, tzinfo=UTC).timestamp()
MAX_TOKEN_LENGTH = 100


def now_seconds() -> int:
    """Return whole seconds since 2001-01-01 UTC, the tokens' clock."""
    return int(time.time() - EPOCH_S)


class TokenStatus(enum.Enum):
    """What checking a token found."""

    VALID = "valid"
    INVALID = "invalid"
    EXPIRED = "expired"
    USED = "used"


def encode_uid(user: AbstractBaseUser) -> str:
    """Return the user's primary key, URL-safe."""
    return urlsafe_base64_encode(force_bytes(user.pk))


def decode_uid(uidb64: str) -> str | None:
    """Return the primary key in ``uidb64``, or ``None`` when it is garbage."""
    if len(uidb64) > MAX_TOKEN_LENGTH:
        return None
    try:
        return force_str(urlsafe_base64_decode(uidb64))
    except (ValueError, UnicodeDecodeError):
        return None


class ActivationTokenGenerator:
    """Make and check activation tokens."""

    key_salt = "moa_signup.tokens.ActivationTokenGenerator"
    algorithm = "sha256"

    def make_token(self, user: AbstractBaseUser, signup: Signup) -> str:
        """Return a token that activates ``user`` once, until it expires."""
        return self._make(user, signup, now_seconds(), settings.SECRET_KEY)

    def check_token(self, user: AbstractBaseUser, signup: Signup, token: str) -> TokenStatus:
        """Return whether ``token`` activates ``user`` now, and if not, why not."""
        timestamp = self._timestamp_of(token)
        if timestamp is None:
            return TokenStatus.INVALID
        if self._matches(user, signup, timestamp, token, pending=False):
            if not signup.is_pending or user.is_active:
                return TokenStatus.USED
            age = now_seconds() - timestamp
            if age > app_settings.activation_window.total_seconds():
                return TokenStatus.EXPIRED
            return TokenStatus.VALID
        if not signup.is_pending and self._matches(user, signup, timestamp, token, pending=True):
            return TokenStatus.USED
        return TokenStatus.INVALID

    def _matches(
        self,
        user: AbstractBaseUser,
        signup: Signup,
        timestamp: int,
        token: str,
        *,
        pending: bool,
    ) -> bool:
        secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
        return any(
            constant_time_compare(self._make(user, signup, timestamp, secret, pending), token)
            for secret in secrets
        )

    def _make(
        self,
        user: AbstractBaseUser,
        signup: Signup,
        timestamp: int,
        secret: str,
        pending: bool = False,
    ) -> str:
        ts_b36 = int_to_base36(timestamp)
        digest = salted_hmac(
            self.key_salt,
            self._hash_value(user, signup, timestamp, pending),
            secret=secret,
            algorithm=self.algorithm,
        ).hexdigest()
        return f"{ts_b36}-{digest}"

    def _hash_value(
        self, user: AbstractBaseUser, signup: Signup, timestamp: int, pending: bool
    ) -> str:
        """Return the account state the token is bound to.

        ``pending=True`` gives the state the account had before activation, to
        tell a used token from a forged one.
        """

        def stamp(value: object) -> str:
            if isinstance(value, datetime):
                return value.replace(microsecond=0, tzinfo=None).isoformat()
            return "" if value is None else str(value)

        verified_at = (
            getattr(user, VERIFIED_AT_FIELD, None) if has_field(VERIFIED_AT_FIELD) else None
        )
        deleted_at = getattr(user, DELETED_AT_FIELD, None) if has_field(DELETED_AT_FIELD) else None
        is_active = False if pending else user.is_active
        activated_at = None if pending else signup.activated_at
        # Logging in after activation sets last_login: the pending state had none.
        last_login = None if pending else getattr(user, "last_login", None)
        if pending:
            verified_at = None
        parts = [
            str(user.pk),
            email_of(user).lower(),
            user.password,
            str(bool(is_active)),
            stamp(verified_at),
            stamp(activated_at),
            stamp(deleted_at),
            str(timestamp),
        ]
        if last_login is not None:
            # Only when set, so tokens made before it was hashed stay valid.
            parts.append(stamp(last_login))
        return "\x1f".join(parts)

    @staticmethod
    def _timestamp_of(token: str) -> int | None:
        given: object = token  # from a URL: anything a caller passes
        if not isinstance(given, str) or len(given) > MAX_TOKEN_LENGTH:
            return None
        ts_b36, sep, _digest = token.partition("-")
        if not sep or not ts_b36 or len(ts_b36) > 8:
            return None
        try:
            return base36_to_int(ts_b36)
        except ValueError:
            return None


default_token_generator = ActivationTokenGenerator()
