from __future__ import annotations

from django.apps import AppConfig
from django.core import checks
from django.core.signals import setting_changed
from django.utils.translation import gettext_lazy as _


class MindmapConfig(AppConfig):
    name = "moa_mindmap"
    label = "moa_mindmap"
    verbose_name = _("Moa mindmap")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from moa_mindmap import checks as mindmap_checks
        from moa_mindmap.permissions import reset_permission

        checks.register(mindmap_checks.check_settings)
        checks.register(mindmap_checks.check_permission)
        checks.register(mindmap_checks.check_redis_channel_layer)
        setting_changed.connect(reset_permission, dispatch_uid="moa_mindmap.reset_permission")
