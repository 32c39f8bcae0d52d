from __future__ import annotations

from django.apps import AppConfig
from django.core import checks
from django.core.signals import setting_changed
from django.utils.translation import gettext_lazy as _


class OpsConfig(AppConfig):
    name = "moa_ops"
    label = "moa_ops"
    verbose_name = _("Moa operations")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from moa_ops import checks as ops_checks
        from moa_ops.probes import reset_probe_paths

        checks.register(ops_checks.check_settings)
        checks.register(ops_checks.check_deprecated_settings)
        checks.register(ops_checks.check_probe_middleware)
        checks.register(ops_checks.check_probe_urls, checks.Tags.urls)
        checks.register(ops_checks.check_daphne_for_channels)
        security = checks.Tags.security
        checks.register(ops_checks.check_proxy_ssl_header, security, deploy=True)
        checks.register(ops_checks.check_in_memory_channel_layer, security, deploy=True)
        checks.register(ops_checks.check_csrf_trusted_origins, security, deploy=True)
        checks.register(ops_checks.check_email_timeout, security, deploy=True)
        setting_changed.connect(reset_probe_paths, dispatch_uid="moa_ops.reset_probe_paths")
