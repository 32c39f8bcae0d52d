"""The default permission hook refuses users who are inactive or soft-deleted."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.utils import timezone

from moa_mindmap.models import Mindmap
from moa_mindmap.permissions import has_permission, is_owner_or_member

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("action", ["view", "edit"])
def test_inactive_owner_is_refused(users, mindmap, action):
    """An owner with ``is_active = False`` may neither view nor edit."""
    users["alice"].is_active = False
    assert is_owner_or_member(users["alice"], mindmap, action) is False
    assert has_permission(users["alice"], mindmap, action) is False


@pytest.mark.parametrize("action", ["view", "edit"])
def test_soft_deleted_member_is_refused(users, mindmap, action):
    """A member whose ``deleted_at`` is set may neither view nor edit."""
    users["bob"].deleted_at = timezone.now()
    assert is_owner_or_member(users["bob"], mindmap, action) is False


def test_deleted_prefetched_member_is_refused(users, mindmap):
    """The prefetched-members path refuses a soft-deleted member too."""
    users["bob"].deleted_at = timezone.now()
    loaded = Mindmap.objects.with_list_data().get(pk=mindmap.pk)
    assert is_owner_or_member(users["bob"], loaded, "view") is False


def test_user_without_deleted_at_is_allowed(mindmap):
    """A user model without ``deleted_at`` (Django's own) is judged on ``is_active``."""
    owner = SimpleNamespace(is_authenticated=True, is_active=True, pk=mindmap.owner_id)
    assert is_owner_or_member(owner, mindmap, "edit") is True
    owner.is_active = False
    assert is_owner_or_member(owner, mindmap, "edit") is False


def test_live_owner_and_member_are_allowed(users, mindmap):
    """Active, undeleted owners and members keep both actions."""
    assert is_owner_or_member(users["alice"], mindmap, "edit") is True
    assert is_owner_or_member(users["bob"], mindmap, "view") is True
    assert is_owner_or_member(users["eve"], mindmap, "view") is False
