"""moa-signup: sign up, activate by email, and the scheduled cleanup of the rest."""

from __future__ import annotations

import re
import shlex
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

PROJECT_DIR = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse battery staple"


def sign_up(client, username: str) -> None:
    response = client.post(
        reverse("moa_signup:signup"),
        {
            "username": username,
            "email": f"{username}@example.com",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert response.status_code == 302, response.content.decode()
    assert response["Location"] == reverse("moa_signup:signup_done")


def activation_path(body: str) -> str:
    """The path of the activation link in an email's ``body``."""
    match = re.search(r"https?://testserver(/\S+)", body)
    assert match, body
    return match[1]


@pytest.mark.django_db(transaction=True)
def test_a_queued_activation_email_is_sent_by_the_worker(client, mailoutbox, settings):
    """MOA_SIGNUP_DELIVERY=task (compose.yaml): signup queues the email, `db_worker` sends it."""
    settings.MOA_SIGNUP_DELIVERY = "task"

    sign_up(client, "queued")
    queued_only = list(mailoutbox)
    call_command("db_worker", "--batch", "--no-startup-delay", "--interval", "0", verbosity=0)

    assert queued_only == []
    assert [message.to for message in mailoutbox] == [["queued@example.com"]]
    assert "/signup/activate/" in mailoutbox[0].body


@pytest.mark.django_db
def test_signup_page_uses_the_site_layout(client):
    """moa_signup/base.html extends the project's base.html."""
    response = client.get(reverse("moa_signup:signup"))

    assert response.status_code == 200
    assert 'id="site-nav"' in response.content.decode()


@pytest.mark.django_db
def test_signup_sends_a_link_that_activates_the_account_once(client, mailoutbox):
    """The account stays inactive until the emailed link is confirmed (a POST)."""
    sign_up(client, "alice")
    user = get_user_model().objects.get(username="alice")
    link = activation_path(mailoutbox[0].body)

    confirm = client.get(link)
    user.refresh_from_db()
    inactive_after_get = not user.is_active
    activated = client.post(link)
    user.refresh_from_db()
    used_again = client.post(link)

    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["alice@example.com"]
    assert confirm.status_code == 200
    assert inactive_after_get
    assert activated.status_code == 302
    assert user.is_active
    assert user.has_verified_email
    assert used_again.status_code == 409


@pytest.mark.django_db
def test_activation_logs_the_user_in(client, mailoutbox):
    """MOA_SIGNUP_LOGIN_AFTER_ACTIVATION: the new user lands on the home page, logged in."""
    sign_up(client, "alice")
    link = activation_path(mailoutbox[0].body)

    response = client.post(link, follow=True)

    assert response.redirect_chain[-1][0] == reverse("home")
    assert response.context["user"].username == "alice"


def scheduled_command(path: str) -> list[str]:
    """The manage.py arguments of a schedule file in deploy/."""
    text = (PROJECT_DIR / path).read_text()
    match = re.search(r"manage\.py (delete_unverified_users[^\n]*)", text)
    assert match, f"{path} runs no delete_unverified_users"
    return shlex.split(match[1])


@pytest.mark.django_db
def test_the_schedule_deletes_accounts_never_activated_within_three_days(client, mailoutbox):
    """The cron job and the systemd timer run the same command, which keeps the others."""
    for username in ("stale", "activated", "recent"):
        sign_up(client, username)
    user_model = get_user_model()
    activated_link = activation_path(mailoutbox[1].body)
    client.post(activated_link)
    four_days_ago = timezone.now() - timedelta(days=4)
    user_model.objects.filter(username__in=["stale", "activated"]).update(date_joined=four_days_ago)
    command = scheduled_command("deploy/cron/delete-unverified-users")

    call_command(*command, stdout=StringIO())

    service = "deploy/systemd/{{ cookiecutter.project_slug }}-delete-unverified-users.service"
    assert command == scheduled_command(service)
    assert command == ["delete_unverified_users", "--days", "3"]
    usernames = set(user_model.all_objects.values_list("username", flat=True))
    assert usernames == {"activated", "recent"}
