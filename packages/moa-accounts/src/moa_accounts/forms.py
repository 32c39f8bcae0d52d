"""User forms with the email field the soft-delete user requires."""

from __future__ import annotations

from django.contrib.auth import forms as auth_forms

from moa_accounts.models import User


class UserCreationForm(auth_forms.UserCreationForm):  # type: ignore[type-arg]
    """Create a user with a username, an email address and a password."""

    class Meta(auth_forms.UserCreationForm.Meta):
        model = User
        fields = ("username", "email")


class UserChangeForm(auth_forms.UserChangeForm):  # type: ignore[type-arg]
    """Edit a user; duplicate usernames and emails among live users are errors."""

    class Meta(auth_forms.UserChangeForm.Meta):
        model = User
        fields = "__all__"


class AdminUserCreationForm(auth_forms.AdminUserCreationForm):  # type: ignore[type-arg]
    """The admin's add form: username, email, and a password or none."""

    class Meta(auth_forms.AdminUserCreationForm.Meta):
        model = User
        fields = ("username", "email")
