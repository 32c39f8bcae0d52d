"""The permission hook: who may view and edit a mindmap."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any, Literal, Protocol

from django.utils.module_loading import import_string

from moa_mindmap.conf import app_settings

if TYPE_CHECKING:
    from moa_mindmap.models import Mindmap

Action = Literal["view", "edit"]
ACTIONS: tuple[Action, ...] = ("view", "edit")


class PermissionHook(Protocol):
    def __call__(self, user: Any, mindmap: Mindmap, action: Action) -> bool: ...


def is_active_user(user: Any) -> bool:
    """Return whether ``user`` is logged in, active and not soft-deleted.

    A soft-deleted user has a ``deleted_at`` that is not ``None`` (moa-accounts,
    django-safedelete style); user models without the field are judged on
    ``is_active`` alone.
    """
    return (
        bool(getattr(user, "is_authenticated", False))
        and bool(getattr(user, "is_active", True))
        and getattr(user, "deleted_at", None) is None
    )


def is_owner_or_member(user: Any, mindmap: Mindmap, action: Action) -> bool:
    """Allow the owner and the members to view and edit (the default hook).

    Inactive and soft-deleted users are refused (see :func:`is_active_user`).
    Uses the prefetched members when the caller loaded them, so list pages
    stay at a constant number of queries.
    """
    if not is_active_user(user):
        return False
    if mindmap.owner_id == user.pk:
        return True
    cache = getattr(mindmap, "_prefetched_objects_cache", {})
    if "members" in cache:
        return any(member.pk == user.pk for member in cache["members"])
    return mindmap.members.filter(pk=user.pk).exists()


@cache
def _load_hook(path: str) -> PermissionHook:
    return import_string(path)  # type: ignore[no-any-return]


def get_permission_hook() -> PermissionHook:
    """Return the callable ``MOA_MINDMAP_PERMISSION`` names."""
    return _load_hook(app_settings.MOA_MINDMAP_PERMISSION)


def has_permission(user: Any, mindmap: Mindmap, action: Action) -> bool:
    """Return whether ``user`` may ``action`` (``view`` or ``edit``) ``mindmap``."""
    if action not in ACTIONS:
        raise ValueError(f"Unknown mindmap action {action!r}.")
    return bool(get_permission_hook()(user, mindmap, action))


def reset_permission(*, setting: str, **kwargs: Any) -> None:
    """Forget the loaded hook when ``MOA_MINDMAP_PERMISSION`` changes."""
    if setting == "MOA_MINDMAP_PERMISSION":
        _load_hook.cache_clear()
