"""The record of a signup made through moa-signup."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Signup(models.Model):
    """A user account created by signing up, pending until its email is confirmed.

    Only accounts with a pending ``Signup`` can be activated by a link or be sent
    a new one, so deactivating an account later (a ban, say) is never undone by
    an old link or a resend request.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="moa_signup",
        verbose_name=_("user"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    activated_at = models.DateTimeField(_("activated at"), null=True, blank=True)

    class Meta:
        verbose_name = _("signup")
        verbose_name_plural = _("signups")

    def __str__(self) -> str:
        return f"signup of user {self.user_id}"

    @property
    def is_pending(self) -> bool:
        """Return whether the account still waits for activation."""
        return self.activated_at is None
