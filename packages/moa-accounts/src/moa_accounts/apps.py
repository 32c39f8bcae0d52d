from __future__ import annotations

from django.apps import AppConfig
from django.core import checks
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "moa_accounts"
    label = "moa_accounts"
    verbose_name = _("Moa accounts")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from moa_accounts import checks as accounts_checks

        checks.register(accounts_checks.check_settings)
        checks.register(accounts_checks.check_login_throttled, checks.Tags.security, deploy=True)
        checks.register(accounts_checks.check_user_model, checks.Tags.models)
        checks.register(accounts_checks.check_auth_user_adopted, checks.Tags.database)
