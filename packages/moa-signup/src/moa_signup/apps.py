from __future__ import annotations

from django.apps import AppConfig, apps
from django.core import checks
from django.utils.translation import gettext_lazy as _


class SignupConfig(AppConfig):
    name = "moa_signup"
    label = "moa_signup"
    verbose_name = _("Moa signup")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from moa_signup import checks as signup_checks

        checks.register(signup_checks.check_email_timeout)
        checks.register(signup_checks.check_settings)
        checks.register(signup_checks.check_user_model, checks.Tags.models)
        checks.register(signup_checks.check_database)
        if apps.is_installed("moa_accounts"):
            from moa_accounts.signals import user_restored
            from moa_signup.receivers import keep_pending_signup_inactive

            user_restored.connect(
                keep_pending_signup_inactive, dispatch_uid="moa_signup.keep_pending_signup_inactive"
            )
