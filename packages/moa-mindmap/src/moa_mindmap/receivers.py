"""Signal receivers that re-check open sockets when access may have been lost.

``MindmapConfig.ready()`` connects them (with ``dispatch_uid``): to the user
model's ``post_save`` and ``post_delete``, to the mindmap's ``post_save``,
``post_delete`` and members ``m2m_changed``, and to moa-accounts'
``user_soft_deleted`` when that app is installed.
"""

from __future__ import annotations

from typing import Any

from moa_mindmap.permissions import is_active_user
from moa_mindmap.revocation import access_changed

# A user's save that may end their access: ``update_fields`` naming neither
# (a login's ``last_login``, say) cannot.
USER_ACCESS_FIELDS = frozenset({"is_active", "deleted_at"})


def user_saved(
    sender: Any,
    instance: Any,
    created: bool = False,
    raw: bool = False,
    update_fields: Any = None,
    using: str | None = None,
    **kwargs: Any,
) -> None:
    """Re-check the sockets of a user saved inactive or soft-deleted."""
    if created or raw or is_active_user(instance):
        return
    if update_fields is not None and not USER_ACCESS_FIELDS & set(update_fields):
        return
    access_changed(user=instance, using=using)


def user_deleted(sender: Any, instance: Any, using: str | None = None, **kwargs: Any) -> None:
    """Re-check the sockets of a deleted user (they close with 4401)."""
    access_changed(user=instance, using=using)


def user_soft_deleted(sender: Any, user: Any, using: str | None = None, **kwargs: Any) -> None:
    """Re-check the sockets of a user moa-accounts soft-deleted."""
    access_changed(user=user, using=using)


def mindmap_saved(
    sender: Any,
    instance: Any,
    created: bool = False,
    raw: bool = False,
    using: str | None = None,
    **kwargs: Any,
) -> None:
    """Re-check a saved mindmap's sockets (its owner may have changed)."""
    if not created and not raw:
        access_changed(mindmap=instance, using=using)


def mindmap_deleted(sender: Any, instance: Any, using: str | None = None, **kwargs: Any) -> None:
    """Re-check a deleted mindmap's sockets (they close with 4404)."""
    access_changed(mindmap=instance, using=using)


def members_changed(
    sender: Any,
    instance: Any,
    action: str,
    reverse: bool,
    using: str | None = None,
    **kwargs: Any,
) -> None:
    """Re-check after members were removed, from either side of the relation."""
    if action not in ("post_remove", "post_clear"):
        return
    if reverse:
        access_changed(user=instance, using=using)
    else:
        access_changed(mindmap=instance, using=using)
