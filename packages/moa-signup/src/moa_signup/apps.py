from __future__ import annotations

from django.apps import AppConfig
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
