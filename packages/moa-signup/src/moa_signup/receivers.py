"""Receivers moa-signup connects to other apps' signals."""

from __future__ import annotations

from typing import Any

from moa_signup.models import Signup


def keep_pending_signup_inactive(sender: type[Any], user: Any, using: str, **kwargs: Any) -> None:
    """Keep an account that moa-accounts restores inactive while its signup is pending.

    ``restore()`` reactivates every account; one that never followed its
    activation link was inactive before its deletion and stays so.
    """
    if not user.is_active:
        return
    if Signup.objects.using(using).filter(user_id=user.pk, activated_at__isnull=True).exists():
        sender._base_manager.using(using).filter(pk=user.pk).update(is_active=False)
        user.is_active = False
