from __future__ import annotations

from django.apps import AppConfig
from django.core import checks
from django.utils.translation import gettext_lazy as _


class QueriesConfig(AppConfig):
    name = "moa_queries"
    label = "moa_queries"
    verbose_name = _("Moa queries")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from moa_queries import checks as queries_checks
        from moa_queries.tracking import install_query_tracking

        checks.register(queries_checks.check_settings)
        checks.register(queries_checks.check_query_defaults, checks.Tags.models)
        checks.register(queries_checks.check_raise_in_production, checks.Tags.security, deploy=True)
        install_query_tracking()
