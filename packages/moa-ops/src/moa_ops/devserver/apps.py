from __future__ import annotations

from django.apps import AppConfig
from django.core import checks
from django.utils.translation import gettext_lazy as _


class DevServerConfig(AppConfig):
    name = "moa_ops.devserver"
    label = "moa_ops_devserver"
    verbose_name = _("Moa development server")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from moa_ops.checks import check_devserver_has_daphne

        checks.register(check_devserver_has_daphne)
