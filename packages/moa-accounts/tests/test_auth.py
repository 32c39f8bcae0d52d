"""Django auth stays correct when deleted and live users share a username."""

from __future__ import annotations

import re
from collections.abc import Callable
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.forms import PasswordResetForm
from django.core import mail
from django.core.checks import run_checks
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import Client

from moa_accounts.models import User
from moa_accounts.signals import user_restored, user_soft_deleted

pytestmark = pytest.mark.django_db


@pytest.fixture
def reborn(make_user: Callable[..., User]) -> tuple[User, User]:
    """Two deleted 'alice' accounts and a live one, all with one email."""
    for _ in range(2):
        make_user("alice", "alice@example.com").delete()
    live = make_user("alice", "Alice@Example.com")
    dead = User.all_objects.deleted().first()
    return live, dead


def test_auth_user_model_is_the_soft_delete_user() -> None:
    assert get_user_model() is User


def test_check_passes_without_silencing_auth_e003() -> None:
    """manage.py check is clean: username counts as unique among live users."""
    ids = [str(message.id) for message in run_checks()]
    assert "auth.E003" not in ids
    assert "auth.W004" not in ids
    call_command("check", fail_level="WARNING")


def test_natural_key_finds_only_the_live_user(reborn: tuple[User, User]) -> None:
    live, _ = reborn
    assert User.objects.get_by_natural_key("alice") == live
    live.delete()
    with pytest.raises(User.DoesNotExist):
        User.objects.get_by_natural_key("alice")


@pytest.mark.django_db(transaction=True)
async def test_async_natural_key(reborn: tuple[User, User]) -> None:
    from asgiref.sync import sync_to_async
    from django.db import connections

    live, _ = reborn
    try:
        assert await User.objects.aget_by_natural_key("alice") == live
    finally:
        await sync_to_async(connections.close_all)()


def test_login_ignores_deleted_users(reborn: tuple[User, User]) -> None:
    live, dead = reborn
    dead.set_password("old")
    dead.save()
    assert authenticate(username="alice", password="pw") == live
    assert authenticate(username="alice", password="old") is None
    live.delete()
    assert authenticate(username="alice", password="pw") is None
    assert ModelBackend().get_user(live.pk) is None


def test_login_view(reborn: tuple[User, User], client: Client) -> None:
    response = client.post("/login/", {"username": "alice", "password": "pw"})
    assert response.status_code == 302
    assert client.get("/whoami/").content == b"alice"


def test_session_of_a_user_deleted_while_logged_in_ends(
    make_user: Callable[..., User], client: Client
) -> None:
    user = make_user("alice")
    client.force_login(user)
    assert client.get("/whoami/").content == b"alice"
    user.delete()
    assert client.get("/whoami/").content == b"anonymous"
    user.restore()
    # As with Django's is_active: restoring the account revives its sessions.
    assert client.get("/whoami/").content == b"alice"


def test_deleting_a_user_deactivates_it_and_restoring_reactivates(
    make_user: Callable[..., User],
) -> None:
    user = make_user("alice")
    user.delete()
    assert user.is_active is False
    assert User.all_objects.get(pk=user.pk).is_active is False
    User.all_objects.filter(pk=user.pk).restore()
    assert User.objects.get(pk=user.pk).is_active is True


def test_bulk_delete_deactivates(make_user: Callable[..., User]) -> None:
    make_user("a")
    make_user("b")
    assert User.objects.all().delete() == (2, {"moa_accounts.User": 2})
    assert not User.all_objects.filter(is_active=True).exists()


def test_password_reset_ignores_deleted_users(make_user: Callable[..., User]) -> None:
    make_user("old", "alice@example.com").delete()
    live = make_user("alice", "ALICE@example.com")
    form = PasswordResetForm({"email": "alice@example.com"})
    assert form.is_valid()
    assert list(form.get_users("alice@example.com")) == [live]
    form.save(domain_override="testserver")
    assert len(mail.outbox) == 1
    assert "alice" in mail.outbox[0].body
    live.delete()
    mail.outbox.clear()
    form.save(domain_override="testserver")
    assert mail.outbox == []


def test_password_reset_link_of_a_deleted_user_is_invalid(
    make_user: Callable[..., User], client: Client
) -> None:
    make_user("alice", "alice@example.com")
    client.post("/password-reset/", {"email": "alice@example.com"})
    [message] = mail.outbox
    link = re.search(r"/reset/[^/]+/[^/]+/", message.body)
    assert link is not None
    User.objects.get().delete()
    response = client.get(link.group(0), follow=True)
    assert response.context["validlink"] is False


def test_restore_collision_names_the_field(reborn: tuple[User, User]) -> None:
    """Restoring a user whose username a live user holds is a ValidationError."""
    _, dead = reborn
    with pytest.raises(ValidationError) as caught:
        dead.restore()
    assert caught.value.message_dict == {"username": ["A user with that username already exists."]}
    assert dead.is_deleted
    assert not dead.is_active
    assert User.all_objects.get(pk=dead.pk).is_deleted


def test_restore_collision_on_email_names_the_field(
    make_user: Callable[..., User],
) -> None:
    old = make_user("old", "alice@example.com")
    old.delete()
    make_user("new", "ALICE@example.com")
    with pytest.raises(ValidationError) as caught:
        old.restore()
    assert caught.value.message_dict == {
        "email": ["A user with that email address already exists."]
    }


def test_email_is_required(db: None) -> None:
    with pytest.raises(ValueError, match="email must be set"):
        User.objects.create_user("alice")
    user = User(username="alice")
    with pytest.raises(ValidationError) as caught:
        user.full_clean()
    assert "email" in caught.value.message_dict


def test_email_verification(make_user: Callable[..., User]) -> None:
    user = make_user("alice")
    assert not user.has_verified_email
    user.is_active = False  # the admin's switch is separate from verification
    user.save()
    user.mark_email_verified()
    fresh = User.objects.get(pk=user.pk)
    assert fresh.email_verified_at is not None
    assert fresh.has_verified_email
    assert fresh.is_active is False


@pytest.mark.django_db(transaction=True)
async def test_async_email_verification_and_user_creation() -> None:
    from asgiref.sync import sync_to_async
    from django.db import connections

    try:
        user = await User.objects.acreate_user("alice", "alice@example.com", "pw")
        await user.amark_email_verified()
        assert (await User.objects.aget(pk=user.pk)).has_verified_email
    finally:
        await sync_to_async(connections.close_all)()


def test_signals(make_user: Callable[..., User]) -> None:
    events: list[tuple[str, Any]] = []

    def deleted(sender: Any, user: User, using: str, **kwargs: Any) -> None:
        events.append(("deleted", user.username))

    def restored(sender: Any, user: User, using: str, **kwargs: Any) -> None:
        events.append(("restored", user.username))

    user_soft_deleted.connect(deleted, sender=User)
    user_restored.connect(restored, sender=User)
    try:
        alice = make_user("alice")
        make_user("bob")
        alice.delete()
        User.objects.filter(username="bob").delete()
        User.all_objects.filter(username="alice").restore()
    finally:
        user_soft_deleted.disconnect(deleted, sender=User)
        user_restored.disconnect(restored, sender=User)
    assert events == [("deleted", "alice"), ("deleted", "bob"), ("restored", "alice")]


def test_createsuperuser_reuses_a_deleted_username(make_user: Callable[..., User]) -> None:
    make_user("admin", "admin@example.com").delete()
    call_command(
        "createsuperuser",
        username="admin",
        email="admin@example.com",
        interactive=False,
        stdout=StringIO(),
    )
    assert User.objects.get(username="admin").is_superuser


def test_createsuperuser_duplicate_username_is_a_clear_error(
    make_user: Callable[..., User],
) -> None:
    make_user("admin")
    with pytest.raises(CommandError, match="That username is already taken"):
        call_command("createsuperuser", username="admin", email="x@example.com", interactive=False)


def test_createsuperuser_duplicate_email_is_a_clear_error(
    make_user: Callable[..., User],
) -> None:
    make_user("someone", "admin@example.com")
    with pytest.raises(CommandError, match="A user with that email address already exists"):
        call_command(
            "createsuperuser",
            username="admin",
            email="ADMIN@example.com",
            interactive=False,
            stdout=StringIO(),
        )
    assert not User.all_objects.filter(username="admin").exists()
