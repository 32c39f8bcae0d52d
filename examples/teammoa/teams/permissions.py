"""Who may view and edit a team's mindmap (``MOA_MINDMAP_PERMISSION``)."""

from __future__ import annotations

from typing import Any

from moa_mindmap.permissions import is_owner_or_member


def team_member_or_owner(user: Any, mindmap: Any, action: str) -> bool:
    """Let the members of the mindmap's team in, plus whoever moa-mindmap lets in."""
    if not user.is_authenticated:
        return False
    if is_owner_or_member(user, mindmap, action):
        return True
    return mindmap.__class__.objects.filter(pk=mindmap.pk, team__members=user).exists()
