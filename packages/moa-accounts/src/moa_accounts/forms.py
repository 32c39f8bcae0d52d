"""User forms with the email field the soft-delete user requires, and login forms."""

from __future__ import annotations

from django.contrib.admin.forms import AdminAuthenticationForm as BaseAdminAuthenticationForm
from django.contrib.auth import forms as auth_forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from moa_accounts import throttling
from moa_accounts.models import User

TOO_MANY_FAILED_LOGINS = _("Too many failed logins. Please wait a few minutes and try again.")


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


class ThrottledLoginErrorMixin:
    """Say "too many failed logins" when the throttle refused the login."""

    def get_invalid_login_error(self) -> ValidationError:
        if throttling.was_throttled(getattr(self, "request", None)):
            return ValidationError(TOO_MANY_FAILED_LOGINS, code="throttled")
        return super().get_invalid_login_error()  # type: ignore[misc,no-any-return]


class AuthenticationForm(ThrottledLoginErrorMixin, auth_forms.AuthenticationForm):
    """Django's login form, with a clear error when failed logins are throttled."""


class AdminAuthenticationForm(ThrottledLoginErrorMixin, BaseAdminAuthenticationForm):
    """The admin's login form, likewise: ``admin.site.login_form = AdminAuthenticationForm``."""
