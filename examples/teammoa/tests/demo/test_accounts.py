"""A never-verified signup no longer locks its username and email (incident 4)."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

pytestmark = pytest.mark.django_db

FORM = {
    "username": "typo",
    "email": "Typo@Example.com",
    "password1": "a-long-demo-passphrase",
    "password2": "a-long-demo-passphrase",
}


def test_unverified_signup_is_purged_and_its_name_is_free_again(client: Client) -> None:
    """Signup, never verify, purge after 3 days: the same username and email sign up again."""
    user_model = get_user_model()
    assert client.post("/signup/", FORM).status_code == 302
    taken = client.post("/signup/", {**FORM, "email": "typo@example.com"})
    assert taken.status_code == 200  # the live account holds the name, case-insensitively
    user_model.objects.filter(username="typo").update(
        date_joined=timezone.now() - timedelta(days=4)
    )
    call_command("delete_unverified_users", "--days", "3", stdout=StringIO())
    assert not user_model.objects.filter(username="typo").exists()
    assert client.post("/signup/", FORM).status_code == 302
    assert user_model.objects.filter(username="typo").count() == 1


def test_deleted_user_frees_username_but_cannot_log_in(client: Client) -> None:
    """A soft-deleted user keeps its row, gives up its name and cannot log in."""
    user_model = get_user_model()
    old = user_model.objects.create_user("minji", "minji@example.com", "old-password-123")
    old.delete()
    assert not client.login(username="minji", password="old-password-123")
    user_model.objects.create_user("minji", "MINJI@example.com", "new-password-123")
    assert client.login(username="minji", password="new-password-123")
    assert user_model.all_objects.filter(username="minji").count() == 2
