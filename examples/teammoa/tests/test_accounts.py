"""moa-accounts: deleted users are soft-deleted and free their username and email."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import ValidationError
from django.test import Client, override_settings

from teammoa.settings import base
from tests.factories import PASSWORD, UserFactory


@pytest.mark.django_db
def test_a_deleted_users_username_and_email_can_be_used_again():
    """Uniqueness covers live users only; the email is compared ignoring case."""
    user_model = get_user_model()
    first = user_model.objects.create_user("alice", "alice@example.com", PASSWORD)
    first.delete()

    second = user_model.objects.create_user("alice", "Alice@Example.com", PASSWORD)

    assert user_model.objects.get(username="alice") == second
    assert user_model.all_objects.filter(username="alice").count() == 2


@pytest.mark.django_db
def test_a_live_duplicate_email_is_refused():
    """Two live accounts can never share an email address, whatever its case."""
    user_model = get_user_model()
    user_model.objects.create_user("alice", "alice@example.com", PASSWORD)

    with pytest.raises(ValidationError, match="email address already exists"):
        user_model.objects.create_user("alicia", "ALICE@example.com", PASSWORD)


@pytest.mark.django_db
def test_a_deleted_user_cannot_log_in():
    """Login goes through the live users only."""
    user = UserFactory.create()

    logged_in = Client().login(username=user.username, password=PASSWORD)
    user.delete()
    logged_in_after_delete = Client().login(username=user.username, password=PASSWORD)

    assert logged_in
    assert not logged_in_after_delete


@pytest.mark.django_db
def test_the_login_page_logs_a_user_in(client):
    """The project's login template posts to Django's login view."""
    user = UserFactory.create()

    page = client.get("/accounts/login/")
    response = client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})

    assert page.status_code == 200
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/").context["user"] == user


def test_passwords_are_hashed_with_argon2():
    """The project's hasher (the test settings use a fast one) is Argon2, and it works."""
    with override_settings(PASSWORD_HASHERS=base.PASSWORD_HASHERS):
        encoded = make_password(PASSWORD)

        assert encoded.startswith("argon2$")
        assert check_password(PASSWORD, encoded)
