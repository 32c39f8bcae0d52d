"""Who may still use a connection: the user and the mindmap as stored now."""

from __future__ import annotations

from typing import Any, Literal

from channels.db import database_sync_to_async
from django.contrib.auth import get_user_model

from moa_mindmap.models import Mindmap
from moa_mindmap.permissions import has_permission, is_active_user

# Why :func:`check_access` refuses: the user, the mindmap or the ``view`` permission.
Refusal = Literal["user", "mindmap", "view"]


def get_mindmap(mindmap_id: int) -> Mindmap | None:
    """Return the mindmap, or ``None`` when there is no such mindmap."""
    return Mindmap.objects.select_related("owner").filter(pk=mindmap_id).first()


def get_user(user_id: Any) -> Any:
    """Return the user as stored now (``None`` when gone or hidden by the manager)."""
    return get_user_model()._default_manager.filter(pk=user_id).first()


def check_access(user_id: Any, mindmap_id: int) -> tuple[Any, Refusal | None]:
    """Reload the user and the mindmap and ask ``view``; return ``(user, refusal)``.

    ``refusal`` is ``None`` when the user may view the mindmap, ``"user"`` when
    the user is gone, inactive or soft-deleted, ``"mindmap"`` when the mindmap
    is gone and ``"view"`` when the permission hook refuses. Nothing is cached:
    the consumer asks on connect, on ``sync``, on each heartbeat and when told.
    """
    user = get_user(user_id)
    if not is_active_user(user):
        return user, "user"
    mindmap = get_mindmap(mindmap_id)
    if mindmap is None:
        return user, "mindmap"
    if not has_permission(user, mindmap, "view"):
        return user, "view"
    return user, None


acheck_access = database_sync_to_async(check_access)
