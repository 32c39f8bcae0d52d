from __future__ import annotations

from django.apps import AppConfig, apps
from django.conf import settings
from django.core import checks
from django.core.signals import setting_changed
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _


class MindmapConfig(AppConfig):
    name = "moa_mindmap"
    label = "moa_mindmap"
    verbose_name = _("Moa mindmap")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from moa_mindmap import checks as mindmap_checks
        from moa_mindmap import receivers
        from moa_mindmap.models import Mindmap
        from moa_mindmap.permissions import reset_permission

        checks.register(mindmap_checks.check_settings)
        checks.register(mindmap_checks.check_permission)
        checks.register(mindmap_checks.check_redis_channel_layer)
        setting_changed.connect(reset_permission, dispatch_uid="moa_mindmap.reset_permission")
        # The user model by its label: connected once it is loaded, whatever it is.
        user_model = settings.AUTH_USER_MODEL
        post_save.connect(
            receivers.user_saved, sender=user_model, dispatch_uid="moa_mindmap.user_saved"
        )
        post_delete.connect(
            receivers.user_deleted, sender=user_model, dispatch_uid="moa_mindmap.user_deleted"
        )
        post_save.connect(
            receivers.mindmap_saved, sender=Mindmap, dispatch_uid="moa_mindmap.mindmap_saved"
        )
        post_delete.connect(
            receivers.mindmap_deleted, sender=Mindmap, dispatch_uid="moa_mindmap.mindmap_deleted"
        )
        m2m_changed.connect(
            receivers.members_changed,
            sender=Mindmap.members.through,
            dispatch_uid="moa_mindmap.members_changed",
        )
        if apps.is_installed("moa_accounts"):  # pragma: no cover (not a test dependency)
            # Its soft delete is a queryset update: no post_save, its own signal.
            import_string("moa_accounts.signals.user_soft_deleted").connect(
                receivers.user_soft_deleted, dispatch_uid="moa_mindmap.user_soft_deleted"
            )
