"""What moa-signup needs to know about the user model, found by introspection.

Works with any user model that has ``is_active`` and an email field. When the
model has ``email_verified_at`` or ``deleted_at`` (``moa_accounts.User`` and
models built on ``AbstractSoftDeleteUser``), activation sets the first and
tokens cover both; when it has ``username_key``, a username whose key a live
account has is taken. The default manager is used for lookups, so with a
soft-delete model only live accounts count.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import FieldDoesNotExist
from django.db import models

VERIFIED_AT_FIELD = "email_verified_at"
DELETED_AT_FIELD = "deleted_at"
USERNAME_KEY_FIELD = "username_key"


def user_model() -> type[AbstractBaseUser]:
    """Return the active user model."""
    return get_user_model()


def user_manager() -> models.Manager[Any]:
    """Return the manager signups look users up with (live users only)."""
    return user_model()._default_manager


def email_field_name() -> str:
    """Return the name of the user model's email field."""
    return user_model().get_email_field_name()


def username_field_name() -> str:
    """Return the name of the field users log in with."""
    return str(get_user_model().USERNAME_FIELD)


def has_field(name: str) -> bool:
    """Return whether the user model has a concrete field called ``name``."""
    try:
        field = user_model()._meta.get_field(name)
    except FieldDoesNotExist:
        return False
    return bool(getattr(field, "concrete", False))


def email_of(user: AbstractBaseUser) -> str:
    """Return the user's email address ('' when unset)."""
    return str(getattr(user, email_field_name(), "") or "")


def username_key(username: str) -> str | None:
    """Return the model's ``username_key_for(username)`` if it has a ``username_key`` field.

    ``moa_accounts`` users have one: usernames that differ only in case, accents
    or lookalike letters share it.
    """
    key_for = getattr(user_model(), "username_key_for", None)
    if key_for is None or not has_field(USERNAME_KEY_FIELD):
        return None
    return str(key_for(username))


def username_taken(username: str) -> bool:
    """Return whether a live account has this username, ignoring case (or its lookalike)."""
    if username_field_name() == email_field_name():
        return email_taken(username)
    taken = models.Q(**{f"{username_field_name()}__iexact": username})
    key = username_key(username)
    if key is not None:
        taken |= models.Q(**{USERNAME_KEY_FIELD: key})
    return user_manager().filter(taken).exists()


def email_taken(email: str) -> bool:
    """Return whether a live account has this email address, ignoring case."""
    return user_manager().filter(**{f"{email_field_name()}__iexact": email}).exists()


def find_conflict(username: str, email: str) -> str | None:
    """Return ``"username"`` or ``"email"`` if a live account already uses it."""
    if username_field_name() != email_field_name() and username_taken(username):
        return "username"
    if email_taken(email):
        return "email"
    return None
