"""The admin: live/deleted filter, distinct deleted rows, restore and hard delete."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.test import Client

from moa_accounts import admin as accounts_admin
from moa_accounts.models import User

from .concurrency import requires_concurrent_database, run_in_threads

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/moa_accounts/user/"


@pytest.fixture
def admin_client(make_user: Callable[..., User], client: Client) -> Client:
    boss = make_user("boss", is_staff=True, is_superuser=True)
    client.force_login(boss)
    return client


def listed(response: Any) -> list[str]:
    return [user.username for user in response.context["cl"].result_list]


def test_changelist_shows_live_users_by_default(
    admin_client: Client, make_user: Callable[..., User]
) -> None:
    make_user("alice")
    make_user("ghost").delete()
    assert listed(admin_client.get(CHANGELIST)) == ["alice", "boss"]
    assert listed(admin_client.get(CHANGELIST + "?status=deleted")) == ["ghost"]
    assert listed(admin_client.get(CHANGELIST + "?status=all")) == ["alice", "boss", "ghost"]


def test_deleted_users_are_marked(admin_client: Client, make_user: Callable[..., User]) -> None:
    make_user("ghost").delete()
    page = admin_client.get(CHANGELIST + "?status=all").content.decode()
    assert page.count('class="moa-deleted"') == 1
    assert "Deleted " in page


def test_restore_action(admin_client: Client, make_user: Callable[..., User]) -> None:
    ghost = make_user("ghost")
    ghost.delete()
    taken = make_user("taken")
    taken.delete()
    make_user("taken")
    response = admin_client.post(
        CHANGELIST + "?status=deleted",
        {"action": "restore_users", "_selected_action": [ghost.pk, taken.pk]},
        follow=True,
    )
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert "Could not restore taken: A user with that username already exists." in texts
    assert "Restored 1 user." in texts
    assert User.objects.filter(pk=ghost.pk).exists()
    assert User.all_objects.get(pk=taken.pk).is_deleted


def test_hard_delete_action_only_takes_deleted_users(
    admin_client: Client, make_user: Callable[..., User]
) -> None:
    ghost = make_user("ghost")
    ghost.delete()
    alive = make_user("alive")
    response = admin_client.post(
        CHANGELIST + "?status=all",
        {"action": "hard_delete_users", "_selected_action": [ghost.pk, alive.pk]},
        follow=True,
    )
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert texts == ["Skipped 1 live user: delete it first.", "Permanently deleted 1 user."]
    assert not User.all_objects.filter(pk=ghost.pk).exists()
    assert User.objects.filter(pk=alive.pk).exists()


def test_admin_delete_soft_deletes(admin_client: Client, make_user: Callable[..., User]) -> None:
    alice = make_user("alice")
    response = admin_client.post(f"{CHANGELIST}{alice.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert User.all_objects.get(pk=alice.pk).is_deleted


def test_change_view_of_a_deleted_user_opens(
    admin_client: Client, make_user: Callable[..., User]
) -> None:
    ghost = make_user("ghost")
    ghost.delete()
    assert admin_client.get(f"{CHANGELIST}{ghost.pk}/change/").status_code == 200


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (
            {"username": "alice", "email": "new@example.com"},
            "username",
            "A user with that username already exists.",
        ),
        (
            {"username": "new", "email": "ALICE@example.com"},
            "email",
            "A user with that email address already exists.",
        ),
    ],
)
def test_add_form_duplicates_are_field_errors(
    admin_client: Client,
    make_user: Callable[..., User],
    data: dict[str, str],
    field: str,
    message: str,
) -> None:
    make_user("alice", "alice@example.com")
    make_user("ghost", "ghost@example.com").delete()
    response = admin_client.post(
        CHANGELIST + "add/",
        {**data, "usable_password": "false", "password1": "", "password2": ""},
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors[field] == [message]


def test_add_form_accepts_a_deleted_users_name(
    admin_client: Client, make_user: Callable[..., User]
) -> None:
    make_user("ghost", "ghost@example.com").delete()
    response = admin_client.post(
        CHANGELIST + "add/",
        {"username": "ghost", "email": "Ghost@example.com", "usable_password": "false"},
    )
    assert response.status_code == 302
    assert User.objects.get(username="ghost").email == "Ghost@example.com"


def test_change_form_duplicate_email_is_a_field_error(
    admin_client: Client, make_user: Callable[..., User]
) -> None:
    make_user("alice", "alice@example.com")
    bob = make_user("bob", "bob@example.com")
    response = admin_client.post(
        f"{CHANGELIST}{bob.pk}/change/",
        {
            "username": "bob",
            "email": "Alice@Example.com",
            "date_joined_0": "2024-01-01",
            "date_joined_1": "00:00:00",
        },
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["email"] == [
        "A user with that email address already exists."
    ]


def test_lookups_from_other_admins_offer_live_users_only(
    admin_client: Client, make_user: Callable[..., User]
) -> None:
    make_user("alice")
    make_user("ghost").delete()
    popup = admin_client.get(CHANGELIST + "?_popup=1&_to_field=id&status=all")
    assert "ghost" not in listed(popup)
    view = accounts_admin.SoftDeleteUserAdmin(User, accounts_admin.admin.site)
    request = popup.wsgi_request
    assert not view.get_queryset(request).filter(username="ghost").exists()


@pytest.mark.django_db(transaction=True)
def test_add_form_racing_another_signup_gets_a_field_error(
    make_user: Callable[..., User], client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another connection commits 'racer' after the form validated: a form error, no 500."""
    requires_concurrent_database()
    boss = make_user("boss", is_staff=True, is_superuser=True)
    client.force_login(boss)
    original = accounts_admin.SoftDeleteUserAdmin.save_model
    raced: list[bool] = []

    def save_model(self: Any, request: Any, obj: Any, form: Any, change: bool) -> None:
        if not raced:
            raced.append(True)
            [result] = run_in_threads(
                lambda: User.objects.create_user("racer", "other@example.com")
            )
            assert isinstance(result, User)
        original(self, request, obj, form, change)

    monkeypatch.setattr(accounts_admin.SoftDeleteUserAdmin, "save_model", save_model)
    response = client.post(
        CHANGELIST + "add/",
        {"username": "racer", "email": "racer@example.com", "usable_password": "false"},
    )
    assert raced == [True]
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["username"] == [
        "A user with that username already exists."
    ]
    assert User.objects.filter(username="racer").count() == 1
