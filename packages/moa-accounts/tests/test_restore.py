"""Restoring a user brings back its state before deletion, never the links issued before it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth.tokens import default_token_generator
from django.db import connections
from django.test import Client
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from moa_accounts.models import User

pytestmark = pytest.mark.django_db


def reset_path(user: User) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return f"/reset/{uid}/{default_token_generator.make_token(user)}/"


def test_restore_keeps_a_never_activated_account_inactive(
    make_user: Callable[..., User],
) -> None:
    """An account that was inactive before deletion is inactive after restore."""
    user = make_user("pending", is_active=False)
    user.delete()
    user.restore()
    assert user.is_active is False
    assert User.objects.get(pk=user.pk).is_active is False


def test_restore_does_not_lift_a_deactivation(make_user: Callable[..., User]) -> None:
    """An admin's deactivation survives delete and restore, alone or in bulk."""
    banned = make_user("banned")
    banned.is_active = False
    banned.save()
    active = make_user("active")
    assert User.objects.filter(pk__in=[banned.pk, active.pk]).delete()[0] == 2
    assert User.all_objects.filter(pk__in=[banned.pk, active.pk], is_active=True).count() == 0
    assert User.all_objects.filter(pk__in=[banned.pk, active.pk]).restore() == 2
    assert User.objects.get(pk=banned.pk).is_active is False
    assert User.objects.get(pk=active.pk).is_active is True


def test_reset_link_issued_before_deletion_is_dead_after_restore(
    make_user: Callable[..., User], client: Client
) -> None:
    """Deletion invalidates outstanding password reset links, for good."""
    never_logged_in = make_user("alice")
    logged_in = make_user("bob")
    client.force_login(logged_in)
    # Tokens hash last_login to the second: a login an hour ago, as in life.
    User.objects.filter(pk=logged_in.pk).update(last_login=timezone.now() - timedelta(hours=1))
    logged_in.refresh_from_db()
    paths = {user.pk: reset_path(user) for user in (never_logged_in, logged_in)}
    for user in (never_logged_in, logged_in):
        # The link works before deletion: Django redirects to the set-password form.
        assert Client().get(paths[user.pk]).status_code == 302
        user.delete()
        user.restore()
        fresh = User.objects.get(pk=user.pk)
        assert default_token_generator.check_token(fresh, paths[user.pk].split("/")[3]) is False
        response = Client().get(paths[user.pk])
        assert response.status_code == 200
        assert response.context["validlink"] is False
        # A link asked for after the restore works.
        assert Client().get(reset_path(fresh)).status_code == 302


def test_stale_save_after_deletion_cannot_revive_old_links(
    make_user: Callable[..., User],
) -> None:
    """Saving an instance loaded before deletion keeps the deletion's token change."""
    user = make_user("alice")
    token = default_token_generator.make_token(user)
    stale = User.objects.get(pk=user.pk)
    user.delete()
    stale.first_name = "Alice"
    stale.save()
    user.restore()
    fresh = User.objects.get(pk=user.pk)
    assert fresh.first_name == "Alice"
    assert default_token_generator.check_token(fresh, token) is False


def test_restore_keeps_the_password_and_sessions(
    make_user: Callable[..., User], client: Client
) -> None:
    """The account logs in with its old password after restore; last_login is the restore."""
    user = make_user("alice")
    user.delete()
    user.restore()
    assert user.last_login is not None
    assert User.objects.get(pk=user.pk).last_login == user.last_login
    assert client.login(username="alice", password="pw") is True


@pytest.mark.django_db(transaction=True)
async def test_async_restore_ends_old_links() -> None:
    """``arestore()`` ends the reset links issued before the deletion too."""
    try:
        user = await User.objects.acreate_user("alice", "alice@example.com", "pw")
        token = default_token_generator.make_token(user)
        await sync_to_async(user.delete)()
        await user.arestore()
        fresh = await User.objects.aget(pk=user.pk)
        assert fresh.is_active is True
        assert default_token_generator.check_token(fresh, token) is False
    finally:  # the executor thread's connection would keep the test database busy
        await sync_to_async(connections.close_all)()
